// The meeting page's join token: from the link (then moved out of the address bar), from this
// tab's session storage on a reload, or minted for a signed-in member from their membership.

// Resolves with {token, problem}: the token, or null and why none could be had (or null).
export async function meetingToken(room) {
  const kept = takeToken(room);
  if (kept) return { token: kept, problem: null };
  return tokenForMember(room);
}

// Keep the token out of the address bar (people share screenshots and links), but survive reloads.
function takeToken(room) {
  const key = `kamar.token.${room}`;
  const fromUrl = new URLSearchParams(location.search).get("token");
  if (fromUrl) {
    sessionStorage.setItem(key, fromUrl);
    history.replaceState(null, "", location.pathname);
    return fromUrl;
  }
  return sessionStorage.getItem(key);
}

// A meeting link shared without a token (/r/kamar-3, /r/kamar-3-e7): a member signed in to
// the community app on this device gets a token from their membership (docs/api.md).
async function tokenForMember(room) {
  const session = localStorage.getItem("kamar.session");
  const match = /^kamar-(\d+)(?:-e(\d+))?$/.exec(room);
  if (!session || !match) return { token: null, problem: null };
  const path = match[2] ? `/api/events/${match[2]}/meeting` : `/api/rooms/${match[1]}/meeting`;
  try {
    const response = await fetch(path, { method: "POST", headers: { Authorization: `Bearer ${session}` } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) return { token: null, problem: (body.error && body.error.message) || null };
    sessionStorage.setItem(`kamar.token.${room}`, body.token);
    return { token: body.token, problem: null };
  } catch (error) {
    return { token: null, problem: error.message };
  }
}

export function tokenClaims(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
  } catch {
    return {};
  }
}
