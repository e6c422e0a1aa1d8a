// live_console.js: the console's part of the page runtime (see live.js):
// reading what is shown, what the socket's close codes mean to a signed-in
// member, the chime and toasts of assignments, web push on this device, and
// forms posted in place.
(function () {
  "use strict";

  var live = window.kefuLive;
  var firstOpen = true;

  // The words this script shows, in the reader's language (the catalog's
  // js.console.* messages, which live.js has from the page).
  function t(id) { return live.say("console." + id); }

  function read(p) {
    if (p.seq) live.send({ type: "read", conversation_id: p.conversation_id, seq: p.seq });
  }

  live.use({
    // Where the open chat stands on this page: the server sends it anew only
    // when it stands elsewhere now, so that a form being filled in stays.
    resume: function (frame) {
      var state = document.getElementById("chat-state");
      if (state) frame.chat_state = state.dataset.state;
    },
    // Opening a conversation reads it, as in every chat app: once the page's
    // socket is open, it says so for what the page was loaded with.
    opened: function (p) {
      if (firstOpen) read(p);
      firstOpen = false;
    },
    signedOut: function () { location.assign("/login"); },
    // 4001: the user's role changed, and the page must be rebuilt.
    closed: function (code) {
      if (code !== 4001) return false;
      location.reload();
      return true;
    },
    sending: function (frame, form) { frame.conversation_id = +form.dataset.liveSend; },
    typing: function (frame, form) { frame.conversation_id = +form.dataset.liveSend; },
    messages: function (added) {
      var last = added[added.length - 1];
      if (document.visibilityState === "visible" && last.dataset.seq) {
        read({ conversation_id: +last.dataset.conversation, seq: +last.dataset.seq });
      }
    },
    applied: function () {
      // A new notice chimes (one shown already does not again), and fades
      // after a while; the chat stays in the list.
      var fresh = document.querySelectorAll(".toast:not([data-timed])");
      if (Array.prototype.some.call(fresh, function (t) { return t.dataset.cue; })) cue();
      fresh.forEach(function (t) {
        t.dataset.timed = "1";
        setTimeout(function () { t.remove(); }, 12000);
      });
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") read(live.position());
  });

  // A short two-tone chime for "a chat is yours now". A browser lets a page
  // play sound only once the person has used it: the audio is made ready on
  // their first click or key (and woken on each, should the browser have
  // put it to sleep), and woken again before each chime.
  var audio = null;
  function wake() {
    try {
      audio = audio || new AudioContext();
      if (audio.state === "suspended") return audio.resume();
    } catch (e) { /* no sound available: the toast still shows */ }
    return Promise.resolve();
  }
  ["pointerdown", "keydown"].forEach(function (type) {
    document.addEventListener(type, wake, { capture: true, passive: true });
  });
  function cue() {
    var at = Date.now();
    wake().then(function () {
      // Not allowed yet, the audio wakes with the person's next click: a
      // chime that late would be about nothing they can see.
      if (!audio || audio.state !== "running" || Date.now() - at > 2000) return;
      [660, 880].forEach(function (f, i) {
        var o = audio.createOscillator(), g = audio.createGain(), t = audio.currentTime + i * 0.15;
        o.frequency.value = f;
        g.gain.setValueAtTime(0.15, t);
        g.gain.exponentialRampToValueAtTime(0.001, t + 0.14);
        o.connect(g).connect(audio.destination);
        o.start(t);
        o.stop(t + 0.15);
      });
    }, function () { /* not allowed: the toast still shows */ });
  }

  // --- notifications: this device subscribes to web push ---
  function enablePush(btn) {
    var say = function (text) { document.getElementById("push-status").textContent = text; };
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) { say(t("pushUnsupported")); return; }
    btn.disabled = true;
    var key = Uint8Array.from(atob(btn.dataset.pushEnable.replace(/-/g, "+").replace(/_/g, "/")), function (c) { return c.charCodeAt(0); });
    Notification.requestPermission().then(function (p) {
      if (p !== "granted") throw new Error(t("pushBlocked"));
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
        if (!r.ok) throw new Error(t("pushRefused"));
        location.reload();
      }).catch(function (err) { btn.disabled = false; say(err.message); });
  }
  document.addEventListener("click", function (e) {
    var enable = e.target.closest("button[data-push-enable]");
    if (enable) enablePush(enable);
  });

  // --- the language menu: a choice takes effect at once ---
  document.addEventListener("change", function (e) {
    if (e.target.matches("form.language select")) e.target.form.submit();
  });

  // --- forms posted in place ---
  // A form marked data-live-form is posted with fetch and the header
  // X-Kefu-Fragment: the answer is fragments, applied like the socket's,
  // saying what was done or why it was refused. Without JavaScript the same
  // form posts, and the server redirects back with the outcome.
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
        if (/<template data-target=/.test(html)) live.apply(html);
        else if (!r.ok) sayRefused(t("failed"));
        if (r.ok) form.reset();
      });
    }).catch(function () {
      sayRefused(t("unreachable"));
    }).then(function () {
      buttons.forEach(function (b) { if (b.isConnected) b.disabled = false; });
    });
  }

  // A search result opens its conversation at #msg-<id>: that message is
  // marked and brought into view (live.js has put the thread at its end).
  var found = /^#msg-\d+$/.test(location.hash) && document.querySelector(location.hash);
  if (found && found.matches("#messages .msg")) {
    found.classList.add("found");
    found.scrollIntoView({ block: "center" });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented || !form.matches("form[data-live-form]")) return;
    e.preventDefault();
    postInPlace(form, e.submitter);
  });
})();
