// admin.js: the admin pages' confirmations and copy buttons. A form marked
// data-confirm="…" asks first, and tells the server it did; a button marked
// data-copy="#id" copies that element's text. Without JavaScript the server
// asks on a page of its own. Its words come in the reader's language from
// the page (body[data-strings], the catalog's js.admin.* messages).
(function () {
  "use strict";

  function t(id) { return window.kefuLive.say("admin." + id); } // live.js has the page's words

  // Confirmation runs first (capture), so a form it stops is never posted.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches("form[data-confirm]")) return;
    if (!window.confirm(form.dataset.confirm)) {
      e.preventDefault();
      e.stopImmediatePropagation();
      return;
    }
    // Confirmed here: the server skips its own confirmation page.
    var field = form.querySelector("input[name=confirm]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "confirm";
      form.append(field);
    }
    field.value = "1";
  }, true);

  // data-copy="#id": copy that element's text, or select it for the
  // keyboard where the clipboard is not available.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("button[data-copy]");
    if (!btn) return;
    var src = document.querySelector(btn.dataset.copy);
    if (!src) return;
    var label = btn.dataset.label || (btn.dataset.label = btn.textContent);
    function selectIt() {
      var range = document.createRange();
      range.selectNodeContents(src);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      btn.textContent = t("selected");
    }
    function copied() {
      btn.textContent = t("copied");
      setTimeout(function () { btn.textContent = label; }, 2000);
    }
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(src.textContent).then(copied, selectIt);
    else selectIt();
  });
})();
