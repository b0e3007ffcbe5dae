import { waitText } from "/static/app/api.js";
import { errorMessage } from "/static/strings.js";

// The meeting page's join token: from the link (then moved out of the address bar), minted fresh
// for a signed-in member from their membership, or kept in this tab's session storage.

// Resolves with {token, problem, member}: the token (or null, and why none could be had, or
// null), and whether it was minted for a signed-in member (then it lives minutes and a rejoin
// fetches a fresh one with tokenForMember).
export async function meetingToken(room) {
  const fromUrl = takeTokenFromUrl(room);
  if (fromUrl) return { token: fromUrl, problem: null, member: false };
  const minted = await tokenForMember(room);
  if (minted.token) return { ...minted, member: true };
  const stored = sessionStorage.getItem(`kamar.token.${room}`);
  return { token: stored, problem: stored ? null : minted.problem, member: false };
}

// Keep the token out of the address bar (people share screenshots and links), but survive reloads.
function takeTokenFromUrl(room) {
  const fromUrl = new URLSearchParams(location.search).get("token");
  if (fromUrl) {
    sessionStorage.setItem(`kamar.token.${room}`, fromUrl);
    history.replaceState(null, "", location.pathname);
  }
  return fromUrl;
}

// A meeting link shared without a token (/r/kamar-3, /r/kamar-3-e7): a member signed in to
// the community app on this device gets a token from their membership (docs/api.md).
export async function tokenForMember(room) {
  const session = localStorage.getItem("kamar.session");
  const match = /^kamar-(\d+)(?:-e(\d+))?$/.exec(room);
  if (!session || !match) return { token: null, problem: null };
  const path = match[2] ? `/api/events/${match[2]}/meeting` : `/api/rooms/${match[1]}/meeting`;
  try {
    const response = await fetch(path, { method: "POST", headers: { Authorization: `Bearer ${session}` } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const info = body.error || {};
      const seconds = parseInt(response.headers.get("Retry-After"), 10);
      const wait = seconds > 0 ? waitText(seconds) : null;
      return { token: null, problem: errorMessage(info.code || "internal", info.reason, wait) };
    }
    sessionStorage.setItem(`kamar.token.${room}`, body.token);
    rememberMeetingTitle(room, body.title);
    return { token: body.token, problem: null };
  } catch {
    return { token: null, problem: errorMessage("network") };
  }
}

// What the page's header shows: the room's or the event's title from the API, kept for this
// tab's reloads; a guest's link has none, and shows the room's name as it is.
export function rememberMeetingTitle(room, title) {
  try {
    if (room && title) sessionStorage.setItem(`kamar.title.${room}`, title);
  } catch {
    /* storage disabled: the header shows the room's name */
  }
}

export function meetingTitle(room) {
  try {
    return sessionStorage.getItem(`kamar.title.${room}`) || room;
  } catch {
    return room;
  }
}

// Where "back" leads after a meeting: a community room's meeting goes back to that room (its
// agenda, for an event's meeting); any other meeting to the start page.
export function backLink(room) {
  const match = /^kamar-(\d+)(?:-e(\d+))?$/.exec(room);
  if (!match) return null;
  return `/#/rooms/${match[1]}/${match[2] ? "agenda" : "chat"}`;
}

export function tokenClaims(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
  } catch {
    return {};
  }
}
