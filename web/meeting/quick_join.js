// The quick-join page (/meet): type a meeting name and your name. Only servers started with --dev-tokens mint tokens here;
// elsewhere people join through an invitation link (/r/ROOM?token=...).
import { errorMessage, pageLanguage, t } from "/static/strings.js";

document.documentElement.lang = pageLanguage;
document.getElementById("quick-join-title").textContent = t.quickJoinTitle;
document.getElementById("room-label").textContent = t.roomLabel;
document.getElementById("name-label").textContent = t.nameLabel;
document.getElementById("join").textContent = t.joinButton;

const form = document.getElementById("join-form");
const errorBox = document.getElementById("quick-join-error");
const nameInput = document.getElementById("name");
nameInput.value = localStorage.getItem("kamar.name") || "";

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = false;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  errorBox.hidden = true;
  const room = document.getElementById("room").value.trim();
  const name = nameInput.value.trim();
  let response;
  try {
    response = await fetch("/api/dev-token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ room, name }),
    });
  } catch {
    showError(errorMessage("network"));
    return;
  }
  if (response.status === 404) {
    showError(t.quickJoinNoDevTokens);
    return;
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const info = body.error || {};
    showError(t.quickJoinFailed + errorMessage(info.code || "internal", info.reason));
    return;
  }
  localStorage.setItem("kamar.name", name);
  location.href = `/r/${encodeURIComponent(room)}?token=${encodeURIComponent(body.token)}`;
});
