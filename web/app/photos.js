// Photos made smaller on the phone before they are sent (composer.js, the profile photo in
// avatar.js, a listing's photos in market.js).
import { SHRINKABLE, photoRefusal, typeOf } from "/static/app/upload_rules.js";
import { errorMessage } from "/static/strings.js";

const SHRINK_ABOVE = 1024 * 1024; // photos above 1 MiB are scaled down before upload
const SHRINK_TO_PX = 1600;
const JPEG_QUALITY = 0.82;

// Phone cameras make 3-8 MB photos; on a data plan a 1600 px JPEG is plenty for a chat (as
// WhatsApp does). PNG and WebP photos become JPEG too, on white (JPEG has no transparency);
// a GIF keeps its animation. `fit`: the longest side in px; `above`: the size in bytes up to
// which a photo goes as it is.
export async function shrink(file, { fit = SHRINK_TO_PX, above = SHRINK_ABOVE } = {}) {
  const type = typeOf(file);
  if (!SHRINKABLE.has(type) || file.size <= above || !window.createImageBitmap) return file;
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    const scale = Math.min(1, fit / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY));
    if (!blob || blob.size >= file.size) return file;
    return new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" });
  } catch {
    return file; // the server reads it as it is, or says why not
  }
}

// A photo as it will be sent where only photos go: checked on the phone before a byte goes (a
// video, or a photo still over the limit once made smaller, is refused with the server's own
// reason), and made smaller first (`options` as for `shrink`). Throws an Error with the
// member's text.
export async function photoReady(file, options = {}) {
  const refused = photoRefusal(file);
  if (refused) throw new Error(errorMessage(refused.code, refused.reason));
  const ready = await shrink(file, options);
  const tooBig = photoRefusal(ready, true);
  if (tooBig) throw new Error(errorMessage(tooBig.code, tooBig.reason));
  return ready;
}
