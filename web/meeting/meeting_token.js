import { api } from "/static/base/api.js";
import { rememberedMeeting, rememberMeeting, sessionToken } from "/static/base/session.js";

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

// A meeting link shared without a token (/r/NAME): a member signed in to the community app on
// this device asks the server for a token by the meeting's name. The server alone knows which
// community room or event a meeting belongs to; it answers with the token, the title to show
// and the address back to the room (docs/api.md). A meeting of no community room gets no
// token this way: a guest needs the link's own.
export async function tokenForMember(room) {
  if (!sessionToken()) return { token: null, problem: null };
  try {
    const body = await api("POST", `/api/meetings/${encodeURIComponent(room)}/token`);
    sessionStorage.setItem(`kamar.token.${room}`, body.token);
    rememberMeeting(room, { title: body.title, back: body.back });
    return { token: body.token, problem: null };
  } catch (error) {
    const notOurs = error.reason === "not_a_community_meeting";
    return { token: null, problem: notOurs ? null : error.message };
  }
}

// What the page's header shows: the room's or the event's title as the API handed it out,
// kept for this tab's reloads; a guest's link has none, and shows the meeting's name as it is.
export function meetingTitle(room) {
  return rememberedMeeting(room).title || room;
}

// Where "back" leads after a meeting: the community room the API named, else the start page.
export function backLink(room) {
  return rememberedMeeting(room).back;
}

export function tokenClaims(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
  } catch {
    return {};
  }
}
