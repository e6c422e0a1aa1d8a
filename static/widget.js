// widget.js: the one line a site owner pastes. It adds a launcher; the chat
// lives in an iframe on kefu's own origin, created only when the visitor
// first opens it. No dependencies, no cookies, nothing sent before that.
//
//   <script src="https://kefu.example.com/widget.js" data-site="1" async></script>
//
// Options on the tag: data-site, data-colour (#rrggbb; else the site's),
// data-label, data-position ("left"), data-lang (the chat's language, such
// as "zh-CN"; else the visitor's browser decides, unless the site fixes one;
// once the chat has opened, the launcher speaks the chat's language),
// data-poll (seconds between the launcher's questions while the chat is
// closed; 15). Any element with data-kefu-to="<user id>" opens a chat with
// that person. The page may call kefu("open"), kefu("close"),
// kefu("toggle") and kefu("identify", token), also before this script loads:
//   window.kefu = window.kefu || function () { (kefu.q = kefu.q || []).push(arguments); };
// When the chat of a visitor the page identified expires, the page gets the
// event "kefu:expired" on window, and may answer with kefu("identify", token).
// A signal the site's backend sends to the open conversation (the host API)
// reaches the page as the event "kefu:signal" on window: {conversation, kind, data}.
//
// Once the chat has been open, the launcher shows replies on every page of
// the site: the iframe hands it a status token (kept in the page's storage)
// that reads its visitor's unread count and newest reply, and nothing else.
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
  var hex = /^#[0-9a-f]{6}$/i;
  var colour = hex.test(opts.colour || "") ? opts.colour : "#2563eb";
  var label = opts.label || say.open;
  var side = opts.position === "left" ? "left" : "right";
  var frame = null, ready = false, shown = false, unread = 0, to = 0, identity = "";
  var key = "kefu.status." + (opts.site || 0), every = (+opts.poll || 15) * 1000, wait = every, timer = 0, etag = "",
    page = location.origin + location.pathname;
  var phone = matchMedia("(max-width: 639px)"), saved = null, title = "", flash = 0;

  // pick returns the first of tags kefu has words for: the same language, else the same main language.
  function pick(tags) {
    for (var i = 0, k; i < tags.length; i++) {
      var t = String(tags[i] || "").toLowerCase();
      for (k in words) if (k.toLowerCase() === t) return k;
      for (k in words) if (t && k.split("-")[0].toLowerCase() === t.split("-")[0]) return k;
    }
  }

  function css(el, styles) { for (var k in styles) el.style[k] = styles[k]; }
  function el(tag, styles) { var e = document.createElement(tag); css(e, styles || {}); return e; }
  function place(e, bottom) { e.style[side] = "20px"; e.style.bottom = bottom; }
  function store(v) { try { if (v) localStorage.setItem(key, v); else localStorage.removeItem(key); } catch (e) { /* blocked: no status */ } }
  function stored() { try { return localStorage.getItem(key); } catch (e) { return null; } }

  var font = "system-ui, sans-serif";
  var button = el("button", {
    position: "fixed", zIndex: "2147483000", border: "0", borderRadius: "28px", padding: "12px 20px", display: "flex", alignItems: "center",
    gap: "8px", color: "#fff", font: "600 15px/1 " + font, boxShadow: "0 6px 20px rgba(0,0,0,.2)", cursor: "pointer"
  });
  button.type = "button";
  button.setAttribute("data-kefu-launcher", "");
  button.setAttribute("aria-expanded", "false");
  // A speech bubble, drawn here: no request for an image.
  var svg = "http://www.w3.org/2000/svg", icon = document.createElementNS(svg, "svg"), path = document.createElementNS(svg, "path");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("width", "20");
  icon.setAttribute("height", "20");
  icon.setAttribute("aria-hidden", "true");
  path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
  path.setAttribute("fill", "currentColor");
  icon.append(path);
  var text = el("span"), badge = el("span", {
    minWidth: "18px", padding: "2px 6px", borderRadius: "9px", background: "#ef4444", font: "600 12px/14px " + font, textAlign: "center"
  });
  button.append(icon, text, badge);
  place(button, "20px");

  // The newest reply, beside the launcher while the chat is closed.
  var bubble = el("div", {
    position: "fixed", zIndex: "2147483000", maxWidth: "260px", display: "none", background: "#fff", color: "#111", borderRadius: "12px",
    boxShadow: "0 6px 20px rgba(0,0,0,.2)", font: "14px/1.4 " + font
  });
  bubble.setAttribute("data-kefu-preview", "");
  bubble.setAttribute("aria-live", "polite");
  var peek = el("button", { all: "unset", display: "block", padding: "12px 30px 12px 14px", cursor: "pointer" });
  var from = el("strong", { display: "block" }), line = el("span");
  peek.append(from, line);
  var dismiss = el("button", { all: "unset", position: "absolute", top: "6px", right: "10px", cursor: "pointer", fontSize: "18px" });
  dismiss.textContent = "×";
  dismiss.setAttribute("aria-label", say.dismiss);
  bubble.append(peek, dismiss);
  place(bubble, "80px");

  function src() {
    var q = [];
    if (opts.site) q.push("site=" + encodeURIComponent(opts.site));
    if (to) q.push("to=" + to);
    if (opts.lang) q.push("lang=" + encodeURIComponent(opts.lang));
    return origin + "/widget" + (q.length ? "?" + q.join("&") : "");
  }

  function render() {
    var n = shown ? 0 : unread;
    button.style.background = colour;
    text.textContent = shown ? say.close : label;
    badge.textContent = n > 99 ? "99+" : String(n);
    badge.style.display = n > 0 ? "inline-block" : "none";
    button.setAttribute("aria-label", (shown ? say.close : label) + (n > 0 ? ", " + say.unread.replace("{n}", n) : ""));
    button.setAttribute("aria-expanded", String(shown));
    button.style.display = shown && phone.matches ? "none" : "flex";
    if (shown || !n) bubble.style.display = "none";
    if (frame) layout();
  }

  // layout fits the open chat to the screen: on a phone it covers it, and
  // the page behind stays still.
  function layout() {
    var full = shown && phone.matches;
    css(frame, full ? { top: "0", bottom: "0", left: "0", right: "0", width: "100vw", height: "100dvh", maxWidth: "none", maxHeight: "none", borderRadius: "0" }
      : { top: "auto", left: "auto", right: "auto", width: "370px", height: "560px", maxWidth: "calc(100vw - 40px)", maxHeight: "calc(100vh - 110px)", borderRadius: "14px" });
    if (!full) place(frame, "84px");
    // The on-screen keyboard shrinks the visual viewport: the chat, and its composer, stay above it.
    else if (window.visualViewport) css(frame, { height: visualViewport.height + "px", top: visualViewport.offsetTop + "px", bottom: "auto" });
    var root = document.documentElement.style;
    if (full && saved === null) { saved = root.overflow; root.overflow = "hidden"; }
    if (!full && saved !== null) { root.overflow = saved; saved = null; }
  }

  // news shows what waits: the count, and the newest reply beside the launcher.
  function news(n, p) {
    if (n > unread && document.hidden) blink(n);
    unread = n;
    if (p && n && !shown) {
      from.textContent = p.from || "";
      line.textContent = p.text || "";
      bubble.style.display = "block";
    }
    render();
  }

  // blink flashes the tab's title until the visitor comes back to it.
  function blink(n) {
    if (!flash) title = document.title;
    clearInterval(flash);
    flash = setInterval(function () {
      document.title = document.title === title ? "(" + n + ") " + say.newMessage : title;
    }, 1000);
  }

  // poll asks kefu what waits for the visitor, while the chat is closed:
  // less often in a hidden tab, and less and less often while it fails.
  function poll() {
    clearTimeout(timer);
    var token = stored();
    if (!token || !opts.site) return;
    if (!shown) {
      // The first poll of a page tells kefu the page too (no query:
      // addresses can carry secrets), for the agent's visitor panel.
      if (page) fetch(origin + "/widget/status/page?site=" + encodeURIComponent(opts.site),
        { method: "POST", headers: { Authorization: "Bearer " + token }, body: page }).catch(function () { /* only the panel misses it */ });
      page = "";
      fetch(origin + "/widget/status?site=" + encodeURIComponent(opts.site), { headers: { Authorization: "Bearer " + token }, cache: "no-cache" })
        .then(function (r) {
          if (r.status === 401) store(""); // refused for good: the next opening hands a new one
          if (!r.ok) throw r;
          wait = every;
          return r.json();
        })
        .then(function (s) {
          if (!hex.test(opts.colour || "") && hex.test(s.colour)) colour = s.colour;
          news(s.unread, s.preview);
        }, function () { wait = Math.min(wait * 2, 300000); });
    }
    timer = setTimeout(poll, document.hidden ? wait * 4 : wait);
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
      frame = el("iframe", { position: "fixed", border: "0", zIndex: "2147483001", boxShadow: "0 12px 40px rgba(0,0,0,.25)", background: "#fff" });
      frame.src = src();
      frame.title = say.frame;
      frame.setAttribute("data-kefu-frame", "");
      document.body.append(frame);
    }
    shown = true;
    unread = 0;
    frame.style.display = "block";
    render();
    frame.focus();
    tell({ kefu: "shown" });
  }

  function hide(back) {
    if (!shown) return;
    shown = false;
    if (frame) frame.style.display = "none";
    render();
    tell({ kefu: "hidden" });
    if (back) button.focus();
    poll();
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
    var d = e.data;
    switch (d.kefu) {
      case "ready":
        ready = true;
        // The chat speaks its site's language when the site fixes one: the launcher follows.
        if (words[d.lang] && words[d.lang] !== say) {
          say = words[d.lang];
          if (!opts.label) label = say.open;
          render();
        }
        tell({ kefu: "context", page: location.href, referrer: document.referrer, identity: identity });
        // Focus given to the frame before its page loaded is not the page's: given again, the chat may pass it on.
        if (shown) { frame.focus(); tell({ kefu: "shown" }); }
        break;
      case "aimed": to = +d.to || 0; break; // the visitor chose another conversation in the chat
      case "status": store(String(d.token || "")); break;
      case "close": hide(d.back); break;
      case "expired": window.dispatchEvent(new CustomEvent("kefu:expired")); break;
      case "signal": window.dispatchEvent(new CustomEvent("kefu:signal", { detail: d.signal })); break;
      case "message": if (!shown) news(unread + 1, d.preview); else if (document.hidden) blink(1); break;
    }
  });
  button.addEventListener("click", function () { kefu("toggle"); });
  peek.addEventListener("click", function () { show(); });
  dismiss.addEventListener("click", function () { bubble.style.display = "none"; });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && shown) hide(true); });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) return;
    if (flash) { clearInterval(flash); flash = 0; document.title = title; }
    poll();
  });
  phone.addEventListener("change", render);
  if (window.visualViewport) visualViewport.addEventListener("resize", function () { if (shown && phone.matches) layout(); });
  document.addEventListener("click", function (e) {
    var t = e.target.closest && e.target.closest("[data-kefu-to]");
    if (!t) return;
    e.preventDefault();
    show(parseInt(t.getAttribute("data-kefu-to"), 10) || 0);
  });

  function mount() {
    render();
    document.body.append(bubble, button);
    ((early && early.q) || []).forEach(function (args) { kefu.apply(null, args); });
    poll();
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
