// live_widget.js: the widget's part of the page runtime (see live.js), in
// kefu's iframe on another site: the visitor's token in the iframe's
// storage, and the talk with the host page (widget.js) by postMessage.
(function () {
  "use strict";

  var live = window.kefuLive;
  var body = document.body;
  function say(key) { return live.say("widget." + key); }
  // The page's language, which kefu chose for this widget: every request asks for it.
  var language = document.documentElement.lang || "";
  function inLanguage(headers) { headers["Accept-Language"] = language; return headers; }
  var memoryToken = null;
  var refusedOpens = 0;
  var failedChecks = 0; // session checks in a row that did not reach kefu
  var maxChecks = 4; // then the widget stops trying until the visitor is back online, or asks
  var identified = false; // the host page vouched for this visitor
  var parent = window.parent !== window ? window.parent : null;
  var shown = !parent; // the host page shows the chat: what arrives is read
  function host(msg) { if (parent) parent.postMessage(msg, "*"); }
  // A signal a host's backend sent to this conversation goes on to the host page (widget.js).
  document.addEventListener("kefu:signal", function (e) { host({ kefu: "signal", signal: e.detail }); });

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
  // remember keeps a flag beside the token: whether the host page vouched for the visitor.
  function remember(flag, on) {
    try { if (on) localStorage.setItem(storageKey + "." + flag, "1"); else localStorage.removeItem(storageKey + "." + flag); } catch (e) { /* storage blocked */ }
  }
  function remembered(flag) {
    try { return !!localStorage.getItem(storageKey + "." + flag); } catch (e) { return false; }
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
      .then(function (j) { saveToken(j.token); handStatus(); return j.token; });
  }

  // handStatus gives the host page's launcher the status token of this
  // visitor: it reads their unread count and newest reply while the chat is
  // closed, and nothing else. A session kefu no longer knows has expired.
  function handStatus() {
    var t = loadToken(), composer = document.getElementById("composer");
    if (!t || !composer || !+composer.dataset.site) return;
    fetch("/widget/status/token?site=" + (+composer.dataset.site), { method: "POST", headers: inLanguage({ Authorization: "Bearer " + t }) })
      .then(function (r) {
        if (r.status === 401 && loadToken() === t) expired(t);
        return r.ok ? r.json() : null;
      })
      .then(function (j) { if (j) host({ kefu: "status", token: j.status_token }); }, function () { /* the next opening tries again */ });
  }

  // expired says that kefu no longer knows the visitor's session, and
  // offers a new chat; a page that vouched for its visitor is asked to again.
  function expired(t) {
    if (body.dataset.expired !== undefined) return;
    forgetToken(t);
    live.stop();
    var list = live.thread();
    if (list) { list.replaceChildren(); delete list.dataset.conversation; }
    live.status("", "expired");
    body.dataset.expired = "";
    document.getElementById("session-expired").hidden = false;
    document.querySelector("[data-widget-restart]").focus();
    if (identified || remembered("identified")) host({ kefu: "expired" });
  }

  // startAfresh starts a new visitor's chat after an expired one.
  function startAfresh() {
    remember("identified", identified);
    delete body.dataset.expired;
    document.getElementById("session-expired").hidden = true;
    keepGreeting();
    if (step) step.hidden = false; // a new visitor: the site's questions, if it asks any
    refusedOpens = 0;
    failedChecks = 0;
    live.go();
    live.fresh();
    live.status("", "idle");
    if (live.pending()) live.start();
    var box = document.querySelector("#composer textarea");
    if (box) box.focus();
  }

  // pause stops trying to reach kefu until the visitor is back online or
  // asks: what they write meanwhile waits, and goes once the socket is back.
  function pause() {
    var again = document.getElementById("reconnect");
    if (!again) return; // a widget that refused to show here: nothing to reach
    live.status(navigator.onLine === false ? say("offline") : say("paused"), "offline");
    again.hidden = navigator.onLine === false;
  }
  function unpause() {
    if (body.dataset.liveState !== "offline") return;
    document.getElementById("reconnect").hidden = true;
    failedChecks = 0;
    refusedOpens = 0;
    live.fresh();
    live.status("", "idle");
    live.start();
  }

  // A widget whose socket keeps failing to open may hold a token kefu no
  // longer knows: it asks, and starts afresh if so.
  // It never asks for ever: after maxChecks that do not reach kefu, or at
  // once when the browser knows it is offline, it pauses.
  function checkToken() {
    var t = loadToken();
    if (navigator.onLine === false) { pause(); return; }
    fetch("/widget/session", { headers: inLanguage({ Authorization: "Bearer " + t }) }).then(function (r) {
      if (r.status === 401) { expired(t); return; }
      if (r.status === 403) { live.stop(); live.status(say("unavailable"), "closed"); return; }
      if (r.ok) failedChecks = 0;
      retry();
    }, retry);
  }
  function retry() {
    if (++failedChecks >= maxChecks) pause(); else live.later();
  }

  // arrived: what the frame being applied adds from the other side; a
  // resume's thread, replaced whole, is not news.
  var arrived = [];

  // The greeting is the thread's first bubble: the page writes it, kefu does
  // not store it, and it stays first whatever replaces the thread. It is the
  // site's, so it opens the chat with customer service only: in a chat with
  // one person it is taken away, and it comes back with customer service.
  var greeting = document.getElementById("greeting");
  function keepGreeting() {
    var list = live.thread(), composer = document.getElementById("composer");
    if (!greeting || !list) return;
    if (composer && +composer.dataset.to) { greeting.remove(); return; }
    greeting.hidden = false;
    if (list.firstElementChild !== greeting) list.prepend(greeting);
  }
  keepGreeting();

  // The pre-chat step is for a new visitor. A returning one (their token is
  // here) may have given it already: the server's resume says, so the step
  // waits for that rather than showing for a moment.
  var step = document.getElementById("prechat");
  if (step && loadToken()) step.hidden = true;

  // typed is what the visitor typed into the step, by field: the server
  // draws the step again on every resume, and nothing typed is lost to it.
  var typed = {};
  function keepTyped() {
    step.querySelectorAll("input").forEach(function (f) { if (!f.value && typed[f.name]) f.value = typed[f.name]; });
  }

  // showFieldErrors marks the pre-chat fields the server refused, with the
  // reason beside each, and moves to the first of them.
  function showFieldErrors() {
    var first = null;
    step.querySelectorAll("input").forEach(function (f) {
      var reason = document.getElementById(f.getAttribute("aria-describedby"));
      if (reason && reason.textContent) { f.setAttribute("aria-invalid", "true"); first = first || f; } else f.removeAttribute("aria-invalid");
    });
    if (first) first.focus();
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
    opened: function () { refusedOpens = 0; readSent = ""; failedChecks = 0; document.getElementById("reconnect").hidden = true; live.send({ type: "home" }); markRead(); },
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
      arrived = added.filter(function (m) { return !m.classList.contains("mine") && !m.classList.contains("system") && m.dataset.seq; });
      markRead();
    },
    // After a frame: the greeting stays first, the pre-chat step follows the
    // server, the home is shown when it arrives, and new messages from the
    // other side are told: read out, and to the host page's launcher while
    // the chat is closed. A resume's thread is not news.
    applied: function (html, holder) {
      keepGreeting();
      var swapped = Array.prototype.map.call(holder.content.children, function (t) { return t.dataset.target; });
      if (step && swapped.indexOf("#prechat") !== -1) { step.hidden = false; keepTyped(); }
      if (step && swapped.some(function (t) { return /^#prechat-\w+-error$/.test(t || ""); })) showFieldErrors();
      if (holder.content.querySelector('template[data-target="#home"]')) homeArrived();
      var news = arrived;
      arrived = [];
      if (!news.length || holder.content.querySelector('template[data-target="#messages"][data-swap="innerHTML"]')) return;
      var last = news[news.length - 1], who = last.querySelector(".who"), text = last.querySelector(".body");
      var m = { name: who ? who.textContent.trim() : "", text: text ? text.textContent.trim() : "" };
      document.getElementById("announce").textContent = live.say("widget.newMessage", m);
      host({ kefu: "message", preview: { from: m.name, text: m.text.slice(0, 80) } });
    },
    words: function (state, text) {
      if (state === "connecting") return say("connecting");
      if (state === "closed" && text === live.say("live.reconnecting")) return navigator.onLine === false ? say("offline") : say("reconnecting");
      return text;
    },
    headers: function () {
      var t = loadToken();
      return inLanguage(t ? { Authorization: "Bearer " + t } : {});
    }
  });

  window.addEventListener("online", unpause);
  window.addEventListener("offline", function () { if (body.dataset.liveState !== "open") pause(); });

  var note = document.getElementById("storage-note");
  if (note && !storageWorks()) note.hidden = false;
  window.addEventListener("message", function (e) {
    if (e.source !== window.parent || !e.data) return;
    if (e.data.kefu === "context") {
      hostContext.page = String(e.data.page || "");
      hostContext.referrer = String(e.data.referrer || "");
      if (e.data.identity) identify(String(e.data.identity));
      else handStatus();
    }
    if (e.data.kefu === "shown") { shown = true; focusIn(); markRead(); }
    if (e.data.kefu === "hidden") shown = false;
    if (e.data.kefu === "identify") identify(String(e.data.token || ""));
    if (e.data.kefu === "aim") aim(+e.data.to || 0, true);
  });
  host({ kefu: "ready", lang: document.documentElement.lang });

  // focusIn moves the visitor's focus into the chat: to the composer, else
  // to what the chat offers (a new chat), else its close button.
  function focusIn() {
    var box = document.querySelector("#composer textarea");
    var target = box && box.offsetParent ? box : document.querySelector(".expired:not([hidden]) button") || document.querySelector("[data-widget-close]");
    if (target) target.focus();
  }

  // While the chat is open, Tab goes round it, and Escape closes it.
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && parent) { e.preventDefault(); host({ kefu: "close", back: true }); return; }
    if (e.key !== "Tab" || !parent) return;
    var all = Array.prototype.filter.call(document.querySelectorAll("button, textarea, input, a[href], [tabindex]"), function (el) {
      return !el.disabled && el.tabIndex >= 0 && el.offsetParent !== null;
    });
    var first = all[0], last = all[all.length - 1];
    if (!first) return;
    if (e.shiftKey && (document.activeElement === first || !all.includes(document.activeElement))) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && (document.activeElement === last || !all.includes(document.activeElement))) { e.preventDefault(); first.focus(); }
  });

  // --- the home: the visitor's conversations, kept live by the socket ---
  // The widget opens on it when it offers a choice (the server says so with
  // data-show: see widget_home.go); a conversation chosen there, or aimed at
  // by the host page, opens in place, and "back" returns to it.
  var composerAt = document.getElementById("composer");
  var wantHome = !!composerAt && !+composerAt.dataset.to; // opened on customer service, not on a person
  function homeOffered() { return !!document.querySelector("#home [data-home][data-show]"); }
  // The header's title and line of who is there belong to the view: on the
  // home, the home's own title and customer service's team (app.css shows
  // one pair or the other by data-view).
  function showView(view) {
    body.dataset.view = view;
    var back = document.querySelector("[data-widget-back]");
    var composer = document.getElementById("composer");
    if (back) back.hidden = view === "home" || !composer || (!+composer.dataset.to && !homeOffered());
    if (view === "chat") markRead();
  }
  function homeArrived() {
    if (wantHome) {
      wantHome = false;
      if (homeOffered()) { showView("home"); return; }
      var composer = document.getElementById("composer");
      if (composer && +composer.dataset.to) { aim(0); return; } // back from a person, with nothing else: customer service
    }
    showView(body.dataset.view || "chat");
  }
  // back goes to the home when it offers a choice, else to customer service.
  function back() {
    if (homeOffered()) { showView("home"); live.send({ type: "home" }); return; }
    wantHome = true;
    live.send({ type: "home" });
    var composer = document.getElementById("composer");
    if (!live.thread() || !composer || !+composer.dataset.to) return;
    // No socket to answer (a visitor who never wrote): customer service at once.
    if (!document.querySelector("#home [data-home]")) { wantHome = false; aim(0); }
  }
  // markRead tells the server the visitor has seen the conversation shown:
  // the host page shows the chat, the tab is visible, and the chat is not
  // under the home.
  var readSent = ""; // the last read sent, once each
  function markRead() {
    if (!shown || body.dataset.view === "home" || document.visibilityState !== "visible") return;
    var p = live.position(), at = p.conversation_id + ":" + p.seq;
    if (!p.conversation_id || !p.seq || at === readSent) return;
    readSent = at;
    live.send({ type: "read", conversation_id: p.conversation_id, seq: p.seq });
  }
  document.addEventListener("visibilitychange", markRead);

  // Opened on a person (the host page's "contact" button), the chat offers
  // a way back at once: to the home, or to customer service when the
  // visitor has nothing else, even before they have written or have a
  // socket to ask for their home.
  if (composerAt && +composerAt.dataset.to) showView("chat");

  // aim switches the widget to the conversation with person (0: customer
  // service): its title and pre-chat fields come from the server, its thread
  // from the socket's resume. The host page hears of it (fromHost: it asked).
  function aim(person, fromHost) {
    var composer = document.getElementById("composer");
    if (!composer) return; // a widget that refused to show here
    wantHome = false;
    showView("chat");
    if (!fromHost) host({ kefu: "aimed", to: person });
    if (+composer.dataset.to === person) return; // shown already, under the home
    keepDraft(composer, person);
    composer.dataset.to = String(person);
    var list = live.thread();
    list.innerHTML = "";
    delete list.dataset.conversation;
    keepGreeting();
    document.getElementById("rating").innerHTML = "";
    fetch("/widget/aim?site=" + (+composer.dataset.site) + "&to=" + person, { headers: inLanguage({}) })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        live.apply(html);
        live.send({ type: "resume", conversation_id: 0, seq: 0, to: person, site: +composer.dataset.site, site_token: composer.dataset.siteToken });
      }, function () { live.showError(say("unreachable")); });
  }

  // drafts is what the visitor typed and did not send, by the person each
  // conversation is with (0: customer service), for as long as the page
  // lives: switching conversations keeps it, and it is there on return.
  var drafts = {};
  function keepDraft(composer, person) {
    var box = composer.querySelector("textarea");
    if (!box) return;
    drafts[+composer.dataset.to || 0] = live.unsent(composer); // not a message already on its way
    box.value = drafts[person] || "";
    delete drafts[person];
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
      identified = true;
      remember("identified", true);
      if (body.dataset.expired !== undefined) startAfresh();
      live.restart();
      handStatus();
    }, function (err) { live.showError(err.message); });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches("form[data-live-rate]")) return;
    e.preventDefault();
    var rating = form.querySelector("input[name=rating]:checked");
    live.send({ type: "rate", conversation_id: +form.dataset.liveRate, rating: rating ? +rating.value : 0, comment: form.elements.comment.value });
  });

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches("form[data-live-transcript]")) return;
    e.preventDefault();
    var email = form.elements.email;
    live.send({ type: "transcript", conversation_id: +form.dataset.liveTranscript, email: email ? email.value.trim() : "" });
  });

  // A field mended is no longer marked refused.
  document.addEventListener("input", function (e) {
    var f = e.target.closest("#prechat input");
    if (!f) return;
    typed[f.name] = f.value;
    var reason = document.getElementById(f.getAttribute("aria-describedby"));
    if (reason) { reason.textContent = ""; f.removeAttribute("aria-invalid"); }
  });

  document.addEventListener("click", function (e) {
    var to = e.target.closest("[data-widget-aim]");
    if (to) aim(+to.dataset.widgetAim || 0);
    if (e.target.closest("[data-widget-back]")) back();
    if (e.target.closest("[data-widget-close]")) host({ kefu: "close", back: true });
    if (e.target.closest("[data-widget-restart]")) ensureToken().then(function () { startAfresh(); live.start(); }, function () { /* said in the composer's error */ });
    if (e.target.closest("[data-widget-reconnect]")) unpause();
  });

  // Images and files (live_files.js, files.css) load when first needed: a file chosen,
  // pasted or dropped, or one in the thread. A visitor who never sees one
  // never downloads it. What came before it loaded is handed to it.
  var files = null;
  function withFiles(then) {
    var form = document.querySelector("form[data-files-script]");
    if (!form) return;
    if (!files) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = form.dataset.filesStyle;
      document.head.append(css);
      files = new Promise(function (ok) {
        var s = document.createElement("script");
        s.src = form.dataset.filesScript;
        s.onload = ok;
        document.head.append(s);
      });
    }
    if (then) files.then(function () { then(form); });
  }
  function hand(e, list) {
    if (window.kefuFiles || !list || !list.length) return;
    var taken = Array.prototype.slice.call(list);
    e.preventDefault();
    withFiles(function (form) { window.kefuFiles.upload(form, taken); });
  }
  document.addEventListener("change", function (e) {
    if (!e.target.matches("input[data-attach]") || window.kefuFiles) return;
    hand(e, e.target.files);
    e.target.value = "";
  });
  document.addEventListener("paste", function (e) {
    if (e.target.closest && e.target.closest("form[data-upload]")) hand(e, e.clipboardData && e.clipboardData.files);
  });
  function dropZone(e) { return !window.kefuFiles && e.target.closest && e.target.closest("form[data-upload], #messages"); }
  document.addEventListener("dragover", function (e) { if (dropZone(e)) e.preventDefault(); });
  document.addEventListener("drop", function (e) { if (dropZone(e)) hand(e, e.dataTransfer && e.dataTransfer.files); });
  function filesShown(root) { return root.querySelector && root.querySelector("[data-src], [data-fetch-file]"); }
  new MutationObserver(function (records) {
    if (records.some(function (r) { return Array.prototype.some.call(r.addedNodes, filesShown); })) withFiles();
  }).observe(body, { childList: true, subtree: true });
  if (filesShown(document)) withFiles();
})();
