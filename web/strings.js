// Every string the web client shows, split by area under web/strings/: the meeting page, the
// community app, direct messages and polls, and the error texts. Indonesian first: it is our users' language; English for
// everyone else. The page picks by the browser's language.

import { COMMUNITY } from "/static/strings/community.js";
import { ERRORS, errorText } from "/static/strings/errors.js";
import { MEETING } from "/static/strings/meeting.js";
import { TALK } from "/static/strings/talk.js";

const language = (navigator.language || "en").toLowerCase().startsWith("id") ? "id" : "en";
export const t = { ...MEETING[language], ...COMMUNITY[language], ...TALK[language] };
export const pageLanguage = language;

// The member's text for an error `code` (and the API's `reason`, when given); `wait` is a time
// already worded ("30 detik"), for codes that say how long to wait.
export function errorMessage(code, reason = null, wait = null) {
  return errorText(ERRORS[language], code, reason, wait);
}
