// mail.js: the page an email's link opens tells kefu that the visitor read
// the conversation once the page is in front of a person. Mail providers
// fetch the links of the emails they receive to check them; such a fetch
// runs no script, or shows nothing to anyone, and so reads nothing.
// An image's thumbnail opens the full image, served under the same link.
(function () {
  "use strict";
  var page = document.querySelector("[data-seen]");
  if (!page) return;
  function seen() {
    if (document.visibilityState !== "visible") return;
    document.removeEventListener("visibilitychange", seen);
    fetch(page.dataset.seen, { method: "POST", credentials: "omit", keepalive: true }).catch(function () {
      // Not recorded: the email may still come, which tells nobody anything wrong.
    });
  }
  document.addEventListener("visibilitychange", seen);
  seen();

  page.addEventListener("click", function (e) {
    var thumb = e.target.closest("button[data-viewer]");
    if (thumb) window.open(thumb.dataset.viewer, "_blank", "noopener");
  });
})();
