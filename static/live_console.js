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
      var state = document.getElementById("chat-state"), labels = document.getElementById("chat-labels");
      if (state) frame.chat_state = state.dataset.state;
      if (labels) frame.chat_labels = labels.dataset.labels;
    },
    // Opening a conversation reads it, as in every chat app: once the page's
    // socket is open, it says so for what the page was loaded with.
    opened: function (p) {
      if (firstOpen) read(p);
      firstOpen = false;
      document.body.dataset.wasOpen = "";
    },
    // The banner speaks only once the socket has been open and is lost:
    // connecting when the page loads goes without saying.
    words: function (state, text) {
      if (firstOpen && state === "connecting") return "";
      return state === "connecting" ? live.say("live.reconnecting") : text;
    },
    signedOut: function () { location.assign("/login"); },
    // In a group, "Read by N" under each of one's own messages, opening to
    // say who: #seen holds each member's name and how far they read.
    readBy: function (list, seen, mine) {
      var marks = Array.prototype.map.call(seen.querySelectorAll("i[data-seq]"), function (i) {
        return { name: i.textContent, seq: +i.dataset.seq };
      });
      Array.prototype.forEach.call(mine, function (msg) {
        if (msg.dataset.conversation !== seen.dataset.conversation || msg.classList.contains("revoked")) return;
        var names = marks.filter(function (m) { return m.seq >= +msg.dataset.seq; }).map(function (m) { return m.name; });
        if (!names.length) return;
        var box = document.createElement("details"), sum = document.createElement("summary"), who = document.createElement("ul");
        box.className = "read-by";
        box.dataset.testid = "read-by";
        sum.textContent = live.say("live.readBy", { n: names.length });
        names.forEach(function (n) { var li = document.createElement("li"); li.textContent = n; who.append(li); });
        box.append(sum, who);
        msg.append(box);
      });
    },
    // 4001: the user's role changed, and the page must be rebuilt.
    closed: function (code) {
      if (code !== 4001) return false;
      location.reload();
      return true;
    },
    sending: function (frame, form) {
      frame.conversation_id = +form.dataset.liveSend;
      var kind = form.querySelector("input[name=type]:checked"); // an agent's Reply / Private note
      if (kind && kind.value !== "text") frame.kind = kind.value;
    },
    typing: function (frame, form) {
      // The visitor is not told that an agent is typing a private note.
      if (form.classList.contains("note-mode")) return false;
      frame.conversation_id = +form.dataset.liveSend;
    },
    messages: function (added) {
      // Another's message in the open chat chimes when the tab is not looked
      // at, unless the chat is muted.
      if (document.visibilityState !== "visible" && !document.querySelector("[data-testid=unmute]") && added.some(function (m) {
        return !m.classList.contains("mine") && !m.classList.contains("system") && m.dataset.seq;
      })) chime = true;
      var last = added[added.length - 1];
      if (document.visibilityState === "visible" && last.dataset.seq) {
        read({ conversation_id: +last.dataset.conversation, seq: +last.dataset.seq });
      }
    },
    applied: function () {
      markMuted();
      showUnread();
      dress();
      // A new notice chimes (one shown already does not again), and fades
      // after a while; the chat stays in the list. So does a new message in
      // a chat of the list: its unread count went up.
      var fresh = document.querySelectorAll(".toast:not([data-timed])");
      if (Array.prototype.some.call(fresh, function (t) { return t.dataset.cue; })) chime = true;
      fresh.forEach(function (t) {
        t.dataset.timed = "1";
        setTimeout(function () { t.remove(); }, 12000);
      });
      if (unreadRose()) chime = true;
      if (chime) cue();
      chime = false;
    }
  });

  // chime: what was just applied calls for the sound.
  var chime = false;

  // muted: the list's conversations whose notifications the person turned
  // off, as the page said. A live item is drawn as every recipient sees it,
  // so it is marked muted again here: its unread messages are a dot, not a
  // count, and neither chime nor count in the title.
  var muted = {};
  function markMuted() {
    document.querySelectorAll("#conversation-list li.conv").forEach(function (li) {
      if (li.dataset.muted) muted[li.id] = true;
      else if (muted[li.id]) li.dataset.muted = "1";
      var badge = li.querySelector(".unread:not(.dot)");
      if (li.dataset.muted && badge) {
        badge.textContent = "";
        badge.className = "unread dot";
        badge.dataset.testid = "unread-dot";
        badge.title = live.say("console.unreadMuted");
      }
    });
  }
  markMuted();

  // unreadRose reports whether a conversation's unread count in the list
  // went up since it was last looked at.
  var unread = {};
  function unreadRose() {
    var rose = false, now = {};
    document.querySelectorAll("#conversation-list li[data-unread]:not([data-muted])").forEach(function (li) {
      now[li.id] = +li.dataset.unread || 0;
      if (now[li.id] > (unread[li.id] || 0)) rose = true;
    });
    unread = now;
    return rose;
  }
  unreadRose();

  // Toasts go at once when dismissed.
  document.addEventListener("click", function (e) {
    var dismiss = e.target.closest(".toast [data-dismiss]");
    if (dismiss) dismiss.closest(".toast").remove();
  });

  // The agent can turn the console's sounds off on this device.
  var soundKey = "kefu.sound", soundOff = false;
  function soundOn() {
    try { soundOff = localStorage.getItem(soundKey) === "off"; } catch (e) { /* kept for this page only */ }
    return !soundOff;
  }
  var soundBtn = document.querySelector("[data-sound-toggle]");
  function showSound() {
    if (!soundBtn) return;
    soundBtn.hidden = false;
    soundBtn.textContent = soundOn() ? soundBtn.dataset.on : soundBtn.dataset.off;
    soundBtn.setAttribute("aria-pressed", String(soundOn()));
  }
  showSound();
  if (soundBtn) soundBtn.addEventListener("click", function () {
    soundOff = soundOn();
    try { localStorage.setItem(soundKey, soundOff ? "off" : "on"); } catch (e) { /* kept for this page only */ }
    showSound();
  });

  // --- the list: the tab's title and icon carry its unread count ---
  var icon = document.querySelector("link[rel=icon]");
  // The plain icon: the page's own, or /favicon.svg when the page came with a count.
  var plainIcon = icon && (icon.getAttribute("href").indexOf("?n=") < 0 ? icon.getAttribute("href") : "/favicon.svg");
  var shownUnread = -1;
  function showUnread() {
    var list = document.getElementById("conversation-list");
    if (!list || !icon) return;
    var n = 0;
    list.querySelectorAll("li[data-unread]:not([data-muted])").forEach(function (li) { n += +li.dataset.unread; });
    if (n === shownUnread) return;
    shownUnread = n;
    document.title = n > 0 ? live.say("console.titleUnread", { n: n }) : t("title");
    icon.href = n > 0 ? "/favicon.svg?n=" + n : plainIcon;
  }

  // "Show more" adds the list's next page in place; without JavaScript it
  // opens the page that starts there.
  document.addEventListener("click", function (e) {
    var more = e.target.closest("a[data-more]");
    if (!more || e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    more.setAttribute("aria-disabled", "true");
    fetch(more.dataset.more, { credentials: "same-origin", headers: { "X-Kefu-Fragment": "1", Accept: "text/html" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(live.apply, function () { more.removeAttribute("aria-disabled"); live.showError(t("moreFailed")); });
  });

  // What the server cannot know: the agent's time zone, for the snooze
  // form's presets (UTC without it).
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* UTC, then */ }
  function dress() {
    document.querySelectorAll("input[data-tz]").forEach(function (i) { i.value = zone; });
  }
  dress();

  // A notice or refusal goes when the agent clicks it (not a link in it), or presses Escape.
  function dismiss() {
    var el = document.getElementById("console-notice");
    if (!el || !el.textContent.trim()) return;
    el.className = "notice";
    el.removeAttribute("role");
    el.textContent = "";
  }
  document.addEventListener("click", function (e) {
    if (e.target.id === "console-notice") dismiss();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") dismiss();
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
    if (!soundOn()) return;
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

  // On a phone the visitor panel starts folded, so that the chat has the screen.
  if (window.matchMedia("(max-width: 767.98px)").matches) {
    document.querySelectorAll("details.visitor-panel[open]").forEach(function (d) { d.open = false; });
  }
})();
