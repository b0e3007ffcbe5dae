// The public announcement page's share button: the phone's own share sheet (Web Share API)
// where the browser has one; the plain platform links beside it work everywhere else.
const button = document.getElementById("web-share");
if (button && navigator.share) {
  button.hidden = false;
  button.addEventListener("click", () => {
    navigator.share({ title: button.dataset.title, url: button.dataset.url }).catch(() => {});
  });
}
