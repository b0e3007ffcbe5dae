// A client's name for something it sends, so the server takes it once however often it is
// sent again (a chat message's client_id, a town-hall question's). 128 random bits as hex:
// crypto.randomUUID needs a secure context, which a WebView on a plain-http LAN server is not;
// getRandomValues works everywhere.
export function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
