// widget.js: the one line a site owner pastes. It adds a launcher; the chat
// lives in an iframe on kefu's own origin, created only when the visitor
// first opens it. No dependencies, no cookies, nothing sent before that.
//
//   <script src="https://kefu.example.com/widget.js" data-site="1" async></script>
//
// Options on the tag: data-site, data-colour (#rrggbb), data-label,
// data-position ("left"), data-lang (the chat's language, such as "zh-CN";
// else the visitor's browser decides, unless the site fixes one; once the
// chat has opened, the launcher speaks the chat's language). Any
// element with data-kefu-to="<user id>" opens a chat with that person. The page may call kefu("open"), kefu("close"),
// kefu("toggle") and kefu("identify", token), also before this script loads:
//   window.kefu = window.kefu || function () { (kefu.q = kefu.q || []).push(arguments); };
(function () {
  "use strict";
  var script = document.currentScript;
  var early = window.kefu;
  if (!script || (early && early.loaded)) return;
  var origin = new URL(script.src).origin;
  var opts = script.dataset;
  // Each language's words for the launcher, and kefu's own language: kefu writes them in as it serves this file.
  var words = {}, fallback = "en";
  var say = words[pick([opts.lang || ""].concat(navigator.languages || [navigator.language]))] || words[fallback] || {};
  var colour = /^#[0-9a-f]{6}$/i.test(opts.colour || "") ? opts.colour : "#2563eb";
  var label = opts.label || say.open;
  var side = opts.position === "left" ? "left" : "right";
  var frame = null, ready = false, shown = false, unread = 0, to = 0, identity = "";

  // pick returns the first of tags kefu has words for: the same language, else the same main language.
  function pick(tags) {
    for (var i = 0, k; i < tags.length; i++) {
      var t = String(tags[i] || "").toLowerCase();
      for (k in words) if (k.toLowerCase() === t) return k;
      for (k in words) if (t && k.split("-")[0].toLowerCase() === t.split("-")[0]) return k;
    }
  }

  function css(el, styles) { for (var k in styles) el.style[k] = styles[k]; }
  function place(el, bottom) { el.style[side] = "20px"; el.style.bottom = bottom; }

  var button = document.createElement("button");
  button.type = "button";
  button.setAttribute("aria-label", label);
  button.setAttribute("data-kefu-launcher", "");
  var text = document.createElement("span");
  var badge = document.createElement("span");
  button.append(text, badge);
  css(button, {
    position: "fixed", zIndex: "2147483000", border: "0", borderRadius: "28px", padding: "14px 22px",
    background: colour, color: "#fff", font: "600 15px/1 system-ui, sans-serif", boxShadow: "0 6px 20px rgba(0,0,0,.2)", cursor: "pointer"
  });
  css(badge, {
    display: "none", marginLeft: "8px", minWidth: "18px", padding: "2px 6px", borderRadius: "9px",
    background: "#ef4444", font: "600 12px/14px system-ui, sans-serif"
  });
  place(button, "20px");

  function src() {
    var q = [];
    if (opts.site) q.push("site=" + encodeURIComponent(opts.site));
    if (to) q.push("to=" + to);
    if (opts.lang) q.push("lang=" + encodeURIComponent(opts.lang));
    return origin + "/widget" + (q.length ? "?" + q.join("&") : "");
  }

  function render() {
    text.textContent = shown ? say.close : label;
    badge.textContent = String(unread);
    badge.style.display = unread > 0 && !shown ? "inline-block" : "none";
  }

  function tell(msg) { if (frame && ready) frame.contentWindow.postMessage(msg, origin); }

  // show opens the chat, aimed at person (a user id; undefined: as it was).
  // Aiming elsewhere switches the iframe's conversation; nothing reloads.
  function show(person) {
    if (person !== undefined && person !== to) {
      to = person;
      if (frame && ready) tell({ kefu: "aim", to: to });
      else if (frame) frame.src = src();
    }
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = src();
      frame.title = say.frame;
      frame.setAttribute("data-kefu-frame", "");
      css(frame, {
        position: "fixed", width: "370px", height: "560px", maxWidth: "calc(100vw - 40px)", maxHeight: "calc(100vh - 110px)",
        border: "0", borderRadius: "14px", zIndex: "2147483000", boxShadow: "0 12px 40px rgba(0,0,0,.25)", background: "#fff"
      });
      place(frame, "84px");
      document.body.append(frame);
    }
    shown = true;
    unread = 0;
    frame.style.display = "block";
    render();
  }

  function hide() {
    shown = false;
    if (frame) frame.style.display = "none";
    render();
  }

  function kefu(command, arg) {
    switch (command) {
      case "open": show(); break;
      case "close": hide(); break;
      case "toggle": if (shown) hide(); else show(); break;
      case "identify": identity = String(arg || ""); tell({ kefu: "identify", token: identity }); break;
    }
  }
  kefu.loaded = true;
  window.kefu = kefu;

  window.addEventListener("message", function (e) {
    if (e.origin !== origin || !frame || e.source !== frame.contentWindow || !e.data) return;
    switch (e.data.kefu) {
      case "ready":
        ready = true;
        // The chat speaks its site's language when the site fixes one: the launcher follows.
        if (words[e.data.lang] && words[e.data.lang] !== say) {
          say = words[e.data.lang];
          if (!opts.label) { label = say.open; button.setAttribute("aria-label", label); }
          render();
        }
        tell({ kefu: "context", page: location.href, referrer: document.referrer, identity: identity });
        break;
      case "close": hide(); break;
      case "aimed": to = +e.data.to || 0; break; // the visitor chose another conversation in the chat
      case "message": if (!shown) { unread++; render(); } break;
    }
  });
  button.addEventListener("click", function () { kefu("toggle"); });
  document.addEventListener("click", function (e) {
    var el = e.target.closest && e.target.closest("[data-kefu-to]");
    if (!el) return;
    e.preventDefault();
    show(parseInt(el.getAttribute("data-kefu-to"), 10) || 0);
  });

  function mount() {
    render();
    document.body.append(button);
    ((early && early.q) || []).forEach(function (args) { kefu.apply(null, args); });
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
