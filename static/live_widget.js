// live_widget.js: the widget's part of the page runtime (see live.js), in
// kefu's iframe on another site: the visitor's token in the iframe's
// storage, and the talk with the host page (widget.js) by postMessage.
(function () {
  "use strict";

  var live = window.kefuLive;
  var body = document.body;
  var words = {};
  try { words = JSON.parse(body.dataset.strings || "{}"); } catch (e) { /* none: ids are shown */ }
  function say(key) { return words["widget." + key] || key; }
  // The page's language, which kefu chose for this widget: every request asks for it.
  var language = document.documentElement.lang || "";
  function inLanguage(headers) { headers["Accept-Language"] = language; return headers; }
  var memoryToken = null;
  var refusedOpens = 0;

  // --- the visitor token: kept in the iframe's storage ---
  var storageKey = "kefu.visitor";
  function loadToken() {
    try { return localStorage.getItem(storageKey) || memoryToken; } catch (e) { return memoryToken; }
  }
  function saveToken(t) {
    memoryToken = t;
    try { localStorage.setItem(storageKey, t); } catch (e) { /* storage blocked: the token lives as long as the page */ }
  }
  function forgetToken(t) {
    if (memoryToken === t) memoryToken = null;
    try { if (localStorage.getItem(storageKey) === t) localStorage.removeItem(storageKey); } catch (e) { /* storage blocked */ }
  }
  function storageWorks() {
    try { localStorage.setItem(storageKey + ".probe", "1"); localStorage.removeItem(storageKey + ".probe"); return true; } catch (e) { return false; }
  }
  function ensureToken() {
    var t = loadToken();
    if (t) return Promise.resolve(t);
    return fetch("/widget/visitors", { method: "POST", headers: inLanguage({ Accept: "application/json" }) })
      .then(function (r) {
        return r.json().then(function (j) {
          // Too many new visitors from this address: say so; the message waits.
          if (!r.ok) { if (j && j.message) live.showError(j.message); throw new Error(j && j.error); }
          live.showError("");
          return j;
        });
      })
      .then(function (j) { saveToken(j.token); return j.token; });
  }

  // A widget whose socket keeps failing to open may hold a token kefu no
  // longer knows: it asks, and starts afresh if so.
  function checkToken() {
    var t = loadToken();
    fetch("/widget/session", { headers: inLanguage({ Authorization: "Bearer " + t }) }).then(function (r) {
      if (r.status === 401) { // forgotten: a new visitor, on their next message or now if one waits
        forgetToken(t);
        var list = live.thread();
        if (list) { list.replaceChildren(); delete list.dataset.conversation; }
        refusedOpens = 0;
        live.fresh();
        live.status("", "idle");
        if (live.pending()) live.start();
        return;
      }
      if (r.status === 403) { live.stop(); live.status(say("unavailable"), "closed"); return; }
      live.later();
    }, live.later);
  }

  // The host page (widget.js) tells the iframe where it is, and who the
  // visitor is when the host site vouches for them with an identity token.
  var hostContext = {};
  try { hostContext.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { /* unknown */ }
  hostContext.language = navigator.language || "";

  live.use({
    protocols: function () {
      var t = loadToken();
      return t ? ["kefu.token." + t] : null;
    },
    prepare: ensureToken,
    resume: function (frame) {
      var composer = document.getElementById("composer");
      if (!composer) return;
      if (+composer.dataset.to) frame.to = +composer.dataset.to;
      if (+composer.dataset.site) { frame.site = +composer.dataset.site; frame.site_token = composer.dataset.siteToken; }
    },
    opened: function () { refusedOpens = 0; readSent = 0; read(); },
    closed: function (code, opened) {
      if (opened || ++refusedOpens < 2) return false;
      checkToken();
      return true;
    },
    sending: function (frame, form) {
      if (+form.dataset.to) frame.to = +form.dataset.to;
      ["name", "email"].forEach(function (k) { if (form.elements[k] && form.elements[k].value.trim()) frame[k] = form.elements[k].value.trim(); });
      frame.context = hostContext;
    },
    // The draft goes only where the site shows it to agents (the server cuts it).
    typing: function (frame, form, text) { if (form.dataset.typingPreview !== undefined) frame.draft = text; },
    messages: function (added) {
      if (window.parent !== window && added.some(function (m) { return !m.classList.contains("mine"); })) {
        window.parent.postMessage({ kefu: "message" }, "*");
      }
      read();
    },
    headers: function () {
      var t = loadToken();
      return inLanguage(t ? { Authorization: "Bearer " + t } : {});
    }
  });

  // --- read: while the page is visible and the frame shown (a hidden frame
  // does not intersect the page), what the thread shows is read.
  var inView = false, readSent = 0;
  function read() {
    var p = live.position();
    if (!inView || document.visibilityState !== "visible" || !p.conversation_id || p.seq <= readSent) return;
    readSent = p.seq;
    live.send({ type: "read", conversation_id: p.conversation_id, seq: p.seq });
  }
  new IntersectionObserver(function (es) { inView = es[es.length - 1].isIntersecting; read(); }).observe(body);
  document.addEventListener("visibilitychange", read);

  var note = document.getElementById("storage-note");
  if (note && !storageWorks()) note.hidden = false;
  window.addEventListener("message", function (e) {
    if (e.source !== window.parent || !e.data) return;
    if (e.data.kefu === "context") {
      hostContext.page = String(e.data.page || "");
      hostContext.referrer = String(e.data.referrer || "");
      if (e.data.identity) identify(String(e.data.identity));
    }
    if (e.data.kefu === "identify") identify(String(e.data.token || ""));
    if (e.data.kefu === "aim") aim(+e.data.to || 0);
  });
  if (window.parent !== window) window.parent.postMessage({ kefu: "ready", lang: document.documentElement.lang }, "*");

  // aim switches the widget to the conversation with person (0: customer
  // service): its title and pre-chat fields come from the server, its thread
  // from the socket's resume.
  function aim(person) {
    var composer = document.getElementById("composer");
    if (!composer) return; // a widget that refused to show here
    composer.dataset.to = String(person);
    var list = live.thread();
    list.innerHTML = "";
    delete list.dataset.conversation;
    document.getElementById("rating").innerHTML = "";
    fetch("/widget/aim?site=" + (+composer.dataset.site) + "&to=" + person, { headers: inLanguage({}) })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        live.apply(html);
        live.send({ type: "resume", conversation_id: 0, seq: 0, to: person, site: +composer.dataset.site, site_token: composer.dataset.siteToken });
      }, function () { live.showError(say("unreachable")); });
  }

  // identify exchanges the host site's token for this visitor's session,
  // carrying an anonymous conversation over, and reconnects as them.
  function identify(token) {
    var composer = document.getElementById("composer");
    if (!composer || !token) return;
    fetch("/widget/identify", {
      method: "POST",
      headers: inLanguage({ "Content-Type": "application/json", Accept: "application/json" }),
      body: JSON.stringify({ site: +composer.dataset.site, token: token, visitor_token: loadToken() || "" })
    }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.message || say("identifyRefused")); return j; });
    }).then(function (j) {
      saveToken(j.token);
      body.dataset.identified = j.name;
      live.restart();
    }, function (err) { live.showError(err.message); });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches("form[data-live-rate]")) return;
    e.preventDefault();
    var rating = form.querySelector("input[name=rating]:checked");
    live.send({ type: "rate", conversation_id: +form.dataset.liveRate, rating: rating ? +rating.value : 0, comment: form.elements.comment.value });
  });

  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-widget-close]") && window.parent !== window) {
      window.parent.postMessage({ kefu: "close" }, "*");
    }
  });
})();
