// live.js: kefu's page runtime, shared by the console and the widget.
// The server pushes HTML fragments over one WebSocket; this file applies them,
// sends what the person types, reconnects with backoff and resumes, so every
// message is shown once, in order. No dependencies.
(function () {
  "use strict";

  var body = document.body;
  var face = body.dataset.face;
  var livePath = body.dataset.live;
  var widget = face === "widget";
  var socket = null;
  var attempts = 0;
  var reconnectTimer = null;
  var stopped = false; // signed out: the socket stays closed
  var memoryToken = null;

  // --- visitor token (widget only): kept in the iframe's storage ---
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
    return fetch("/widget/visitors", { method: "POST", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (j) {
          // Too many new visitors from this address: say so; the message waits.
          if (!r.ok) { if (j && j.message) showError(j.message); throw new Error(j && j.error); }
          showError("");
          return j;
        });
      })
      .then(function (j) { saveToken(j.token); return j.token; });
  }

  // --- applying fragments ---
  function apply(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    var added = [];
    // The frame's top-level templates, in order (":scope >" matches nothing on a fragment).
    Array.prototype.filter.call(holder.content.children, function (el) { return el.localName === "template"; }).forEach(function (t) {
      if (t.dataset.refused !== undefined) { refused(t.dataset.refused); return; }
      if (t.dataset.retry !== undefined) { retryLater(t.dataset.retry); return; }
      if (t.dataset.ack !== undefined) { acked(t.dataset.ack); return; }
      var target = document.querySelector(t.dataset.target);
      if (!target) return;
      // A stored message takes its pending bubble's place: that bubble is done.
      if (t.dataset.swap === "remove" && target.id.indexOf("pending-") === 0) {
        var sent = outbox.get(target.id.slice(8));
        if (sent) sent.el = null;
      }
      var frag = t.content;
      // A node added next to others is never shown twice (same id, already on the page).
      if (t.dataset.swap === "beforeend" || t.dataset.swap === "afterbegin") {
        Array.prototype.slice.call(frag.children).forEach(function (el) {
          if (el.id && document.getElementById(el.id)) el.remove();
        });
      }
      Array.prototype.push.apply(added, Array.prototype.slice.call(frag.querySelectorAll(".msg")));
      switch (t.dataset.swap) {
        case "beforeend": target.append(frag); break;
        case "afterbegin": target.prepend(frag); break;
        case "innerHTML": target.replaceChildren(frag); break;
        case "outerHTML": target.replaceWith(frag); break;
        case "remove": target.remove(); break;
      }
    });
    keepPending();
    if (added.length) afterMessages(added);
    if (holder.content.querySelector("template[data-target]") && /data-cue=/.test(html)) cue();
    // Notices fade after a while; the chat stays in the list.
    document.querySelectorAll(".toast:not([data-timed])").forEach(function (t) {
      t.dataset.timed = "1";
      setTimeout(function () { t.remove(); }, 12000);
    });
  }

  // A short two-tone chime for "a chat is yours now".
  var audio = null;
  function cue() {
    try {
      audio = audio || new AudioContext();
      [660, 880].forEach(function (f, i) {
        var o = audio.createOscillator(), g = audio.createGain(), t = audio.currentTime + i * 0.15;
        o.frequency.value = f;
        g.gain.setValueAtTime(0.15, t);
        g.gain.exponentialRampToValueAtTime(0.001, t + 0.14);
        o.connect(g).connect(audio.destination);
        o.start(t);
        o.stop(t + 0.15);
      });
    } catch (e) { /* no sound available: the toast still shows */ }
  }

  function thread() { return document.getElementById("messages"); }

  function afterMessages(added) {
    var list = thread();
    if (list) list.scrollTop = list.scrollHeight;
    var last = added[added.length - 1];
    if (!widget && document.visibilityState === "visible" && last.dataset.seq) {
      send({ type: "read", conversation_id: +last.dataset.conversation, seq: +last.dataset.seq });
    }
    if (widget && window.parent !== window && added.some(function (m) { return !m.classList.contains("mine"); })) {
      window.parent.postMessage({ kefu: "message" }, "*");
    }
    refreshTimes();
  }

  // Where the thread stands: its conversation and newest seq, for resume.
  function position() {
    var list = thread();
    var msgs = list ? list.querySelectorAll(".msg[data-seq]") : [];
    var last = msgs[msgs.length - 1];
    var cid = list && list.dataset.conversation ? +list.dataset.conversation : 0;
    if (last) return { conversation_id: +last.dataset.conversation, seq: +last.dataset.seq };
    return { conversation_id: cid, seq: 0 };
  }

  // --- the socket ---
  function status(text, state) {
    var el = document.getElementById("status");
    if (el) { el.textContent = text; el.dataset.state = state; }
    body.dataset.liveState = state;
  }

  function connect() {
    if (!livePath) return;
    var protocols = ["kefu.v1"];
    if (widget) {
      var t = loadToken();
      if (!t) { status("Online", "idle"); return; }
      protocols.push("kefu.token." + t);
    }
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + livePath;
    var ws = new WebSocket(url, protocols);
    var opened = false;
    socket = ws;
    status("Connecting…", "connecting");
    ws.onopen = function () {
      opened = true;
      refusedOpens = 0;
      attempts = 0;
      status("Connected", "open");
      var p = position();
      var resume = { type: "resume", conversation_id: p.conversation_id, seq: p.seq };
      var composer = document.getElementById("composer");
      if (widget && composer) {
        if (+composer.dataset.to) resume.to = +composer.dataset.to;
        if (+composer.dataset.site) { resume.site = +composer.dataset.site; resume.site_token = composer.dataset.siteToken; }
      }
      ws.send(JSON.stringify(resume));
      inflight = null;
      flush();
    };
    ws.onmessage = function (e) { apply(e.data); };
    ws.onclose = function (e) {
      if (socket !== ws) return;
      socket = null;
      inflight = null; // sent again, with the same id, once the socket is back
      if (e.code === 4403) { // disabled or signed out everywhere: reconnecting would be refused
        stopped = true;
        status("Signed out", "closed");
        if (!widget) location.assign("/login");
        return;
      }
      if (e.code === 4001 && !widget) { // the user's role changed: the page must be rebuilt
        location.reload();
        return;
      }
      status("Reconnecting…", "closed");
      // A widget whose socket keeps failing to open may hold a token kefu
      // no longer knows: it asks, and starts afresh if so.
      if (widget && !opened && ++refusedOpens >= 2) { checkToken(); return; }
      later();
    };
  }

  var refusedOpens = 0;
  function checkToken() {
    var t = loadToken();
    fetch("/widget/session", { headers: { Authorization: "Bearer " + t } }).then(function (r) {
      if (r.status === 401) { // forgotten: a new visitor, on their next message or now if one waits
        forgetToken(t);
        var list = thread();
        if (list) { list.replaceChildren(); delete list.dataset.conversation; }
        refusedOpens = 0;
        attempts = 0;
        status("Online", "idle");
        if (outbox.size) start();
        return;
      }
      if (r.status === 403) { stopped = true; status("Chat unavailable", "closed"); return; }
      later();
    }, later);
  }

  // later reconnects after a pause: exponential backoff with full jitter, capped at 10 s.
  function later() {
    var delay = Math.min(10000, 500 * Math.pow(2, attempts++));
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(reconnect, delay / 2 + Math.random() * delay / 2);
  }

  function reconnect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    start();
  }

  // start opens the socket when it is not open or opening; a widget visitor
  // without a token gets one first (on their first message).
  var gettingToken = false;
  function start() {
    if (stopped || socket || reconnectTimer || gettingToken) return;
    if (widget && !loadToken()) {
      gettingToken = true;
      ensureToken().then(function () { gettingToken = false; connect(); }, function () { gettingToken = false; later(); });
      return;
    }
    connect();
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  // --- the composer ---
  function newID() {
    var a = new Uint8Array(12);
    crypto.getRandomValues(a);
    return "c" + Array.prototype.map.call(a, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function showError(text) {
    var el = document.getElementById("composer-error");
    if (el) el.textContent = text;
  }

  // --- the outbox: each message until the server has answered for it ---
  // A message stays in the composer until the server acknowledges it. A
  // refusal leaves it there, with the reason beside it. When the server
  // cannot store it just now (or does not answer within a second), it moves
  // into the thread as "Sending…" and is sent again, with the same id, until
  // it is stored: after a while it offers "Not sent — Retry". Messages go one
  // at a time, in the order they were written, so a retried message is never
  // overtaken by a later one.
  var outbox = new Map(); // client_msg_id → {frame, text, form, box, tries, since, el}
  var inflight = null; // the id sent and not yet answered
  var retryTimer = null;
  var giveUpAfter = 10000; // ms of trying before "Not sent — Retry"

  function flush() {
    if (!socket) start();
    if (inflight || !socket || socket.readyState !== WebSocket.OPEN) return;
    var m = outbox.values().next().value;
    if (!m) return;
    inflight = m.frame.client_msg_id;
    m.tries++;
    socket.send(JSON.stringify(m.frame));
  }

  // release empties the composer of m's text, keeping whatever was typed after it.
  function release(m) {
    clearTimeout(m.timer);
    if (m.form.dataset.sending !== m.frame.client_msg_id) return;
    delete m.form.dataset.sending;
    m.form.classList.remove("sending");
    var v = m.box.value, i = v.indexOf(m.text);
    if (i !== -1 && !v.slice(0, i).trim()) m.box.value = v.slice(i + m.text.length).replace(/^\s+/, "");
  }

  // toThread shows m in the thread as not yet sent, and frees the composer.
  function toThread(m) {
    if (!m.el) {
      var li = document.createElement("li");
      li.id = "pending-" + m.frame.client_msg_id;
      li.className = "msg mine pending";
      li.dataset.testid = "pending";
      var p = document.createElement("p");
      p.className = "body";
      p.textContent = m.text;
      var d = document.createElement("span");
      d.className = "delivery";
      d.setAttribute("role", "status");
      li.append(p, d);
      m.el = li;
      var list = thread();
      if (list) { list.append(li); list.scrollTop = list.scrollHeight; }
    }
    release(m);
    mark(m);
  }

  // mark says where m stands: "Sending…", or "Not sent" with a Retry button.
  function mark(m) {
    if (!m.el) return;
    var d = m.el.querySelector(".delivery");
    var late = Date.now() - m.since >= giveUpAfter;
    m.el.classList.toggle("failed", late);
    if (late && !d.querySelector("button")) {
      d.textContent = "Not sent";
      var b = document.createElement("button");
      b.type = "button";
      b.className = "small";
      b.dataset.resend = m.frame.client_msg_id;
      b.dataset.testid = "resend";
      b.textContent = "Retry";
      d.append(" — ", b);
    } else if (!late) {
      d.textContent = "Sending…";
      clearTimeout(m.lateTimer);
      m.lateTimer = setTimeout(function () { if (outbox.has(m.frame.client_msg_id)) mark(m); }, m.since + giveUpAfter - Date.now());
    }
  }

  // keepPending puts back the bubbles of unsent messages that a swap of the
  // thread removed.
  function keepPending() {
    var list = thread();
    if (!list) return;
    outbox.forEach(function (m) { if (m.el && !m.el.isConnected) list.append(m.el); });
  }

  function acked(id) {
    var m = outbox.get(id);
    if (!m) return;
    outbox.delete(id);
    if (inflight === id) inflight = null;
    clearTimeout(m.lateTimer);
    release(m);
    if (m.el) m.el.querySelector(".delivery").textContent = ""; // the stored bubble takes its place
    flush();
  }

  function refused(id) {
    var m = outbox.get(id);
    if (!m) return;
    outbox.delete(id);
    if (inflight === id) inflight = null;
    clearTimeout(m.timer);
    clearTimeout(m.lateTimer);
    if (m.el) {
      // It had left the composer: it goes back there, after anything typed
      // since (which may be the next message, on its way).
      m.el.remove();
      var rest = m.box.value.replace(/\s+$/, "");
      m.box.value = rest ? rest + "\n" + m.text : m.text;
    }
    if (m.form.dataset.sending === id) {
      delete m.form.dataset.sending;
      m.form.classList.remove("sending");
    }
    // A field the server asked for comes first.
    (m.form.querySelector("#prechat input:invalid") || m.box).focus();
    flush();
  }

  function retryLater(id) {
    var m = outbox.get(id);
    if (!m) return;
    if (inflight === id) inflight = null;
    toThread(m);
    clearTimeout(retryTimer);
    // Exponential backoff with jitter, capped at 8 s.
    var delay = Math.min(8000, 500 * Math.pow(2, m.tries - 1));
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, delay / 2 + Math.random() * delay / 2);
  }

  // resend sends what is waiting now, as the person asked.
  function resend(id) {
    var m = outbox.get(id);
    if (!m) return;
    m.since = Date.now();
    mark(m);
    clearTimeout(retryTimer);
    retryTimer = null;
    if (!socket) { attempts = 0; reconnect(); } else flush();
  }

  function submit(form) {
    var box = form.querySelector("textarea");
    var text = box.value.trim();
    if (form.dataset.sending) return; // the message in the composer is on its way
    if (!text) { showError("The message is empty."); return; }
    if (Array.from(text).length > 4000) { showError("The message is longer than 4000 characters."); return; }
    showError("");
    var id = newID();
    var frame = { type: "send", client_msg_id: id, body: text };
    if (!widget) frame.conversation_id = +form.dataset.liveSend;
    if (widget) {
      if (+form.dataset.to) frame.to = +form.dataset.to;
      ["name", "email"].forEach(function (k) { if (form.elements[k] && form.elements[k].value.trim()) frame[k] = form.elements[k].value.trim(); });
      frame.context = hostContext;
    }
    var m = { frame: frame, text: text, form: form, box: box, tries: 0, since: Date.now(), el: null };
    outbox.set(id, m);
    form.dataset.sending = id;
    form.classList.add("sending");
    m.timer = setTimeout(function () { if (outbox.has(id)) toThread(m); }, 1000);
    flush();
  }

  // Leaving the page with a message not yet stored would lose it: the browser asks first.
  window.addEventListener("beforeunload", function (e) {
    if (outbox.size) { e.preventDefault(); e.returnValue = ""; }
  });

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.matches("form[data-live-rate]")) {
      e.preventDefault();
      var rating = form.querySelector("input[name=rating]:checked");
      send({ type: "rate", conversation_id: +form.dataset.liveRate, rating: rating ? +rating.value : 0, comment: form.elements.comment.value });
      return;
    }
    if (!form.matches("form[data-live-send]")) return;
    e.preventDefault();
    submit(form);
  });

  // --- the widget and its host page ---
  // The host page (widget.js) tells the iframe where it is, and who the
  // visitor is when the host site vouches for them with an identity token.
  var hostContext = {};
  if (widget) {
    try { hostContext.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { /* unknown */ }
    hostContext.language = navigator.language || "";
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
    if (window.parent !== window) window.parent.postMessage({ kefu: "ready" }, "*");
  }

  // aim switches the widget to the conversation with person (0: customer
  // service): its title and pre-chat fields come from the server, its thread
  // from the socket's resume.
  function aim(person) {
    var composer = document.getElementById("composer");
    if (!composer) return; // a widget that refused to show here
    composer.dataset.to = String(person);
    var list = thread();
    list.innerHTML = "";
    delete list.dataset.conversation;
    document.getElementById("rating").innerHTML = "";
    fetch("/widget/aim?site=" + (+composer.dataset.site) + "&to=" + person)
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        apply(html);
        if (socket && socket.readyState === WebSocket.OPEN) {
          send({ type: "resume", conversation_id: 0, seq: 0, to: person, site: +composer.dataset.site, site_token: composer.dataset.siteToken });
        }
      }, function () { showError("Could not reach the server. Try again in a moment."); });
  }

  // identify exchanges the host site's token for this visitor's session,
  // carrying an anonymous conversation over, and reconnects as them.
  function identify(token) {
    var composer = document.getElementById("composer");
    if (!composer || !token) return;
    fetch("/widget/identify", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ site: +composer.dataset.site, token: token, visitor_token: loadToken() || "" })
    }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.message || "refused"); return j; });
    }).then(function (j) {
      saveToken(j.token);
      body.dataset.identified = j.name;
      if (socket) { var old = socket; socket = null; old.close(1000, "identified"); }
      connect();
    }, function (err) { showError(err.message); });
  }
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.target.matches("form[data-live-send] textarea")) {
      e.preventDefault();
      submit(e.target.form);
    }
  });

  // "Load earlier messages" and other fetch-and-apply buttons.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("button[data-get]");
    if (btn) {
      btn.disabled = true;
      var headers = {};
      if (widget && loadToken()) headers.Authorization = "Bearer " + loadToken();
      fetch(btn.dataset.get, { headers: headers })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(apply, function () { btn.disabled = false; showError("Could not load earlier messages. Try again."); });
      return;
    }
    var again = e.target.closest("button[data-resend]");
    if (again) { resend(again.dataset.resend); return; }
    var enable = e.target.closest("button[data-push-enable]");
    if (enable) { enablePush(enable); return; }
    if (e.target.closest("[data-widget-close]") && window.parent !== window) {
      window.parent.postMessage({ kefu: "close" }, "*");
    }
  });

  // --- notifications (console): this device subscribes to web push ---
  function enablePush(btn) {
    var say = function (text) { document.getElementById("push-status").textContent = text; };
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) { say("This browser cannot receive notifications."); return; }
    btn.disabled = true;
    var key = Uint8Array.from(atob(btn.dataset.pushEnable.replace(/-/g, "+").replace(/_/g, "/")), function (c) { return c.charCodeAt(0); });
    Notification.requestPermission().then(function (p) {
      if (p !== "granted") throw new Error("Notifications are blocked for this site in the browser's settings.");
      return navigator.serviceWorker.register("/sw.js");
    }).then(function () { return navigator.serviceWorker.ready; })
      .then(function (reg) { return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }); })
      .then(function (sub) {
        var csrf = document.querySelector("input[name=_csrf]");
        return fetch("/console/push/subscriptions", {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf ? csrf.value : "" },
          body: JSON.stringify(sub.toJSON())
        });
      }).then(function (r) {
        if (!r.ok) throw new Error("The server did not take this device. Try again.");
        location.reload();
      }).catch(function (err) { btn.disabled = false; say(err.message); });
  }

  // One timer keeps every relative time current.
  function ago(t) {
    var s = (Date.now() - t) / 1000;
    if (s < 45) return "just now";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    if (s < 86400) return Math.floor(s / 3600) + " h ago";
    if (s < 172800) return "yesterday";
    return new Date(t).toLocaleDateString(undefined, { day: "numeric", month: "short" });
  }
  function refreshTimes() {
    document.querySelectorAll("time[data-rel]").forEach(function (el) {
      el.textContent = ago(Date.parse(el.getAttribute("datetime")));
    });
  }
  setInterval(refreshTimes, 15000);

  document.addEventListener("visibilitychange", function () {
    var p = position();
    if (!widget && document.visibilityState === "visible" && p.seq) {
      send({ type: "read", conversation_id: p.conversation_id, seq: p.seq });
    }
  });

  // --- forms posted in place (console), confirmations and copy buttons (admin) ---
  // A form marked data-live-form is posted with fetch and the header
  // X-Kefu-Fragment: the answer is fragments, applied like the socket's,
  // saying what was done or why it was refused. Without JavaScript the same
  // form posts, and the server redirects back with the outcome. A form
  // marked data-confirm="…" asks first, and tells the server it did; a
  // button marked data-copy="#id" copies that element's text.
  (function () {
    function sayRefused(text) {
      var el = document.getElementById("console-notice");
      if (!el) return;
      el.className = "refusal";
      el.setAttribute("role", "alert");
      el.textContent = text;
    }

    function postInPlace(form, submitter) {
      var data = new FormData(form);
      if (submitter && submitter.name) data.append(submitter.name, submitter.value);
      var buttons = Array.prototype.filter.call(form.querySelectorAll("button"), function (b) { return !b.disabled; });
      buttons.forEach(function (b) { b.disabled = true; });
      fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-Kefu-Fragment": "1", Accept: "text/html" },
        body: new URLSearchParams(data)
      }).then(function (r) {
        return r.text().then(function (html) {
          // A refusal that came as a page (an expired form, a server in
          // trouble) has nothing to apply: say so in place.
          if (/<template data-target=/.test(html)) apply(html);
          else if (!r.ok) sayRefused("That did not work. Reload the page and try again.");
          if (r.ok) form.reset();
        });
      }).catch(function () {
        sayRefused("Could not reach the server. Try again in a moment.");
      }).then(function () {
        buttons.forEach(function (b) { if (b.isConnected) b.disabled = false; });
      });
    }

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

    document.addEventListener("submit", function (e) {
      var form = e.target;
      if (e.defaultPrevented || !form.matches("form[data-live-form]")) return;
      e.preventDefault();
      postInPlace(form, e.submitter);
    });

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
        btn.textContent = "Selected: press Ctrl+C (\u2318C) to copy";
      }
      function copied() {
        btn.textContent = "Copied";
        setTimeout(function () { btn.textContent = label; }, 2000);
      }
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(src.textContent).then(copied, selectIt);
      else selectIt();
    });
  })();

  var list = thread();
  if (list) list.scrollTop = list.scrollHeight;
  refreshTimes();
  connect();
})();
