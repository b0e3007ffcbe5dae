// One picked photo or video on its way to becoming an attachment (POST
// /api/rooms/{id}/attachments, or in resumable pieces for a large video): made smaller on the
// phone first (photos.js), checked again against the server's limits (upload_rules.js).
// Shared by the chat composer (composer.js) and the announcement form (announce.js), so a file
// takes the same path whichever of them sends it.
import { upload } from "/static/app/api.js";
import { shrink } from "/static/app/photos.js";
import { resumableUpload, wantsResumable } from "/static/app/resumable.js";
import { refusal } from "/static/app/upload_rules.js";
import { errorMessage } from "/static/strings.js";

// `item` keeps the upload's state: progress (0..1), waiting (for the network), resume (the
// resumable upload's address, so a retry goes on from where it stopped) and abort. `changed()`
// is called whenever that state moves. Resolves with the Attachment.
export function sendFile(roomId, file, item, changed) {
  return shrink(file).then((ready) => {
    const tooBig = refusal(ready, true); // a photo still too large once made smaller
    if (tooBig) throw new Error(errorMessage(tooBig.code, tooBig.reason));
    const onProgress = (fraction) => {
      item.progress = fraction;
      changed();
    };
    const onWaiting = (waiting) => {
      item.waiting = waiting;
      onProgress(item.progress);
    };
    // Large videos go in pieces that survive a dropped connection (resumable.js).
    const job = wantsResumable(ready)
      ? resumableUpload(roomId, ready, { resume: item.resume, onProgress, onWaiting })
      : upload(roomId, ready, onProgress);
    item.abort = job.abort;
    return job.promise;
  });
}
