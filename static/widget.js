// widget.js: the one line a site owner pastes. It adds a launcher button;
// the chat itself lives in an iframe on kefu's own origin, created on the
// first click. No dependencies, no cookies on the host page.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.kefuWidgetLoaded) return;
  window.kefuWidgetLoaded = true;
  var origin = new URL(script.src).origin;
  var frame = null;
  var open = false;
  var unread = 0;

  var button = document.createElement("button");
  button.type = "button";
  button.setAttribute("aria-label", "Chat with us");
  button.setAttribute("data-kefu-launcher", "");
  button.textContent = "Chat";
  var badge = document.createElement("span");
  button.append(badge);
  css(button, {
    position: "fixed", right: "20px", bottom: "20px", zIndex: "2147483000", border: "0", borderRadius: "28px",
    padding: "14px 22px", background: "#2563eb", color: "#fff", font: "600 15px/1 system-ui, sans-serif",
    boxShadow: "0 6px 20px rgba(0,0,0,.2)", cursor: "pointer"
  });
  css(badge, {
    display: "none", marginLeft: "8px", minWidth: "18px", padding: "2px 6px", borderRadius: "9px",
    background: "#ef4444", font: "600 12px/14px system-ui, sans-serif"
  });

  function css(el, styles) { for (var k in styles) el.style[k] = styles[k]; }

  function setUnread(n) {
    unread = n;
    badge.textContent = String(n);
    badge.style.display = n > 0 ? "inline-block" : "none";
  }

  function toggle() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = origin + "/widget";
      frame.title = "Chat";
      frame.setAttribute("data-kefu-frame", "");
      css(frame, {
        position: "fixed", right: "20px", bottom: "84px", width: "370px", height: "560px", maxWidth: "calc(100vw - 40px)",
        maxHeight: "calc(100vh - 110px)", border: "0", borderRadius: "14px", zIndex: "2147483000",
        boxShadow: "0 12px 40px rgba(0,0,0,.25)", background: "#fff"
      });
      document.body.append(frame);
    }
    open = !open;
    frame.style.display = open ? "block" : "none";
    button.textContent = open ? "Close" : "Chat";
    button.append(badge);
    if (open) setUnread(0);
  }

  window.addEventListener("message", function (e) {
    if (e.origin !== origin || !frame || e.source !== frame.contentWindow || !e.data) return;
    if (e.data.kefu === "close" && open) toggle();
    if (e.data.kefu === "message" && !open) setUnread(unread + 1);
  });
  button.addEventListener("click", toggle);

  function mount() { document.body.append(button); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
