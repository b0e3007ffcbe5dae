// Where the browser keeps who it is: the sign-in session token (the community app's, which the
// meeting page also uses to get a member's join token), this device's id, and what the
// community app hands the meeting page about a meeting it opens.

const SESSION_KEY = "kamar.session";
const DEVICE_KEY = "kamar.device";

export function sessionToken() {
  try {
    return localStorage.getItem(SESSION_KEY);
  } catch {
    return null; // storage disabled (some WebViews): the user signs in every time
  }
}

export function setSession(token) {
  try {
    if (token) localStorage.setItem(SESSION_KEY, token);
    else localStorage.removeItem(SESSION_KEY);
  } catch {
    /* see sessionToken */
  }
}

// A random id for this browser, kept in its storage: the server counts accounts made from one
// device to flag recruitment fraud (docs/organising.md). It identifies nothing else.
export function deviceId() {
  try {
    let id = localStorage.getItem(DEVICE_KEY);
    if (!id) {
      id = crypto.randomUUID();
      localStorage.setItem(DEVICE_KEY, id);
    }
    return id;
  } catch {
    return ""; // storage disabled: no id, no flags
  }
}

// A meeting's `title` and `back` (the address back to its community room) as the API handed
// them out with a join token (docs/api.md), kept for this tab's reloads of the meeting page.
// The meeting page reads them here and never works them out from the meeting's name.
export function rememberMeeting(room, { title = null, back = null } = {}) {
  try {
    if (room && (title || back)) sessionStorage.setItem(`kamar.meeting.${room}`, JSON.stringify({ title, back }));
  } catch {
    /* storage disabled: the header shows the meeting's name, "back" leads to the start page */
  }
}

export function rememberedMeeting(room) {
  try {
    const kept = JSON.parse(sessionStorage.getItem(`kamar.meeting.${room}`) || "{}");
    return { title: kept.title || null, back: kept.back || null };
  } catch {
    return { title: null, back: null };
  }
}
