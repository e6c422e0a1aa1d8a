// live.js: the core of kefu's page runtime, shared by the console and the
// widget. The server pushes HTML fragments over one WebSocket; this file
// applies them, sends what the person types, reconnects with backoff and
// resumes, so every message is shown once, in order, and keeps each message
// in its outbox until the server has answered for it. What only one face
// does lives in live_console.js or live_widget.js, which the page loads after
// this file and which plug in through window.kefuLive.use. No dependencies.
(function () {
  "use strict";

  var body = document.body;
  var lang = document.documentElement.lang || "en";

  // words are what the page's scripts say, in its reader's language: the
  // catalog's js.* messages, keyed by the rest of their id ("live.sending").
  var words = {};
  try { words = JSON.parse(body.dataset.strings || "{}"); } catch (e) { words = {}; }

  // say is the words of key, each {name} in them filled in from values.
  function say(key, values) {
    var s = words[key] || "";
    return values ? s.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; }) : s;
  }
  var livePath = body.dataset.live;
  var socket = null;
  var attempts = 0;
  var reconnectTimer = null;
  var stopped = false; // signed out: the socket stays closed
  var hidden = false; // in the back/forward cache: the socket stays closed until the page is shown again

  // part is what the page's face adds; by default, nothing.
  var part = {
    protocols: function () { return []; }, // subprotocols beside kefu.v1; null: none yet, so no socket
    prepare: function () { return Promise.resolve(); }, // gets what protocols lacks
    resume: function () {}, // adds to the resume frame
    opened: function () {}, // the socket is open and resumed
    closed: function () { return false; }, // (code, opened): true when the part has handled the close
    signedOut: function () {},
    sending: function () {}, // (frame, form): adds to a send frame
    typing: function () {}, // (frame, form, text): adds to a typing frame; false: none is sent
    messages: function () {}, // (added): messages were added to the thread
    readBy: function () {}, // (list, seen, mine): a group's read marks under one's own messages
    applied: function () {}, // (html): a frame was applied
    words: function (state, text) { return text; }, // (state, text): what the status line says in state
    headers: function () { return {}; } // for fetches that load more of the page
  };

  // --- applying fragments ---
  function apply(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    var added = [];
    // Where the reader is in the thread, to keep them there: earlier
    // messages loaded above must not move what they read.
    var list = thread();
    var was = list && { height: list.scrollHeight, top: list.scrollTop };
    var above = false;
    // The frame's top-level templates, in order (":scope >" matches nothing on a fragment).
    Array.prototype.filter.call(holder.content.children, function (el) { return el.localName === "template"; }).forEach(function (t) {
      if (t.dataset.refused !== undefined) { refused(t.dataset.refused); return; }
      if (t.dataset.retry !== undefined) { retryLater(t.dataset.retry); return; }
      if (t.dataset.ack !== undefined) { acked(t.dataset.ack); return; }
      if (t.dataset.signal !== undefined) { signal(t); return; }
      var target = document.querySelector(t.dataset.target);
      if (!target) return;
      if (t.dataset.target === "#typing") typingShown();
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
      // A message shown again in place (revoked) is not a new one; an older
      // page, in the place of its button, is.
      var again = t.dataset.swap === "outerHTML" && t.dataset.target.indexOf("#msg-") === 0;
      if (!again) Array.prototype.push.apply(added, Array.prototype.slice.call(frag.querySelectorAll(".msg")));
      if (t.dataset.target === "#older") above = true;
      switch (t.dataset.swap) {
        case "beforeend": target.append(frag); break;
        case "afterbegin": target.prepend(frag); break;
        case "innerHTML": target.replaceChildren(frag); break;
        case "outerHTML": target.replaceWith(frag); break;
        case "remove": target.remove(); break;
        case "sorted": placeSorted(target, frag); break;
      }
    });
    keepPending();
    if (added.length) afterMessages(added, was, above);
    markSeen();
    part.applied(html, holder);
  }

  // signal hands an online-only signal to the page's own scripts, as the
  // DOM event "kefu:signal" on document: {conversation, kind, data}. Views
  // that have no use for a kind ignore it.
  function signal(t) {
    var data = null;
    try { data = JSON.parse(t.content.textContent || "null"); } catch (err) { return; }
    document.dispatchEvent(new CustomEvent("kefu:signal", {
      detail: { conversation: +t.dataset.conversation, kind: t.dataset.signal, data: data }
    }));
  }

  // placeSorted puts each of frag's items in list before the first whose
  // data-sort is smaller (the list is kept largest first), in place of any
  // with its id. An item that would go last waits, when the list is
  // followed by a "Show more" link, for the page it belongs to.
  function placeSorted(list, frag) {
    Array.prototype.slice.call(frag.children).forEach(function (el) {
      var old = el.id && document.getElementById(el.id);
      if (old) old.remove();
      var next = Array.prototype.find.call(list.children, function (c) { return (c.dataset.sort || "") < el.dataset.sort; });
      if (next) list.insertBefore(el, next);
      else if (!(list.parentNode && list.parentNode.querySelector("[data-more]"))) list.append(el);
    });
  }

  function thread() { return document.getElementById("messages"); }

  // nearEnd: the reader is at the newest messages, or near enough.
  function nearEnd(list) { return list.scrollHeight - list.scrollTop - list.clientHeight < 80; }
  // scrolledUp: the reader scrolled away from the newest messages (the
  // thread only growing or shrinking under them does not count).
  var scrolledUp = false;

  // afterMessages keeps the reader where they were: earlier messages go in
  // above what they read; new ones scroll into view when they were at the
  // end (or sent them), and are announced by the "new messages" button
  // when they had scrolled up.
  function afterMessages(added, was, above) {
    var list = thread();
    decorate();
    if (list && was && above) {
      list.scrollTop = was.top + (list.scrollHeight - was.height);
    } else if (list && scrolledUp && !added.some(function (m) { return m.classList.contains("mine"); })) {
      newMessages(true);
    } else if (list) {
      list.scrollTop = list.scrollHeight;
      newMessages(false);
    }
    part.messages(added);
    refreshTimes();
  }

  function newMessages(show) {
    var pill = document.getElementById("new-messages");
    if (pill) pill.hidden = !show;
  }

  // decorate marks the thread up for reading, in the reader's time zone,
  // which the server does not know: a line before each day's first message,
  // a sender's messages within 5 minutes of each other grouped under one
  // name, and each time's exact moment on hover.
  function decorate() {
    var list = thread();
    if (!list) return;
    list.querySelectorAll("li.day").forEach(function (el) { el.remove(); });
    var prev = null, prevAt = 0, prevDay = "";
    list.querySelectorAll("li.msg").forEach(function (li) {
      var time = li.querySelector("time[datetime]");
      if (!time) return;
      var at = Date.parse(time.getAttribute("datetime"));
      var d = new Date(at);
      var day = d.getFullYear() + "-" + (d.getMonth() + 1) + "-" + d.getDate();
      if (day !== prevDay) {
        var line = document.createElement("li");
        line.className = "day";
        line.setAttribute("role", "separator");
        line.dataset.testid = "day";
        line.textContent = dayName(d);
        li.before(line);
        prevDay = day;
        prev = null;
      }
      var grouped = prev !== null && !li.classList.contains("system") && !prev.classList.contains("system") &&
        prev.dataset.sender === li.dataset.sender && at - prevAt < 300000;
      li.classList.toggle("grouped", grouped);
      time.title = exact(d);
      prev = li;
      prevAt = at;
    });
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // exact is a moment as "2026-12-01 23:47 UTC+8", in the reader's time zone.
  function exact(d) {
    var off = -d.getTimezoneOffset(), sign = off < 0 ? "-" : "+";
    off = Math.abs(off);
    var zone = "UTC" + (off ? sign + Math.floor(off / 60) + (off % 60 ? ":" + pad(off % 60) : "") : "");
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + " " + zone;
  }

  // dayName names a day for its line: today, yesterday, or its date.
  function dayName(d) {
    var today = new Date();
    today.setHours(0, 0, 0, 0);
    var start = new Date(d.getFullYear(), d.getMonth(), d.getDate());
    var days = Math.round((today - start) / 86400000);
    if (days === 0) return say("live.today");
    if (days === 1) return say("live.yesterday");
    var values = { d: d.getDate(), m: d.getMonth() + 1, mon: d.toLocaleDateString(lang, { month: "short" }), y: d.getFullYear() };
    return d.getFullYear() === today.getFullYear() ? say("live.date", values) : say("live.dateWithYear", values);
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
  // status says where the socket stands, in words only when something is
  // amiss or on its way: all is well goes without saying.
  function status(text, state) {
    var el = document.getElementById("status");
    text = part.words(state, text);
    if (el) { el.textContent = text; el.dataset.state = state; }
    if (body.dataset.liveState !== state) {
      // Back from offline, what waited is on its way again: "Sending…", not yet "Not sent".
      var back = body.dataset.liveState === "offline";
      body.dataset.liveState = state;
      outbox.forEach(function (m) { if (back) m.since = Date.now(); mark(m); });
    }
  }

  function connect() {
    if (!livePath || hidden) return;
    var extra = part.protocols();
    if (extra === null) { status("", "idle"); return; }
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + livePath;
    var ws = new WebSocket(url, ["kefu.v1"].concat(extra));
    var opened = false;
    socket = ws;
    status(say("live.connecting"), "connecting");
    ws.onopen = function () {
      opened = true;
      attempts = 0;
      status("", "open");
      var p = position();
      var resume = { type: "resume", conversation_id: p.conversation_id, seq: p.seq };
      part.resume(resume);
      ws.send(JSON.stringify(resume));
      inflight = null;
      flush();
      part.opened(p);
    };
    ws.onmessage = function (e) { apply(e.data); };
    ws.onclose = function (e) {
      if (socket !== ws) return;
      socket = null;
      inflight = null; // sent again, with the same id, once the socket is back
      if (e.code === 4403) { // disabled or signed out everywhere: reconnecting would be refused
        stopped = true;
        status(say("live.signedOut"), "closed");
        part.signedOut();
        return;
      }
      status(say("live.reconnecting"), "closed");
      if (!part.closed(e.code, opened)) later();
    };
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

  // start opens the socket when it is not open or opening; what the socket
  // needs first (a widget visitor's token, on their first message) is got first.
  var preparing = false;
  function start() {
    if (stopped || hidden || socket || reconnectTimer || preparing) return;
    if (livePath && part.protocols() === null) {
      preparing = true;
      part.prepare().then(function () { preparing = false; connect(); }, function () { preparing = false; later(); });
      return;
    }
    connect();
  }

  // restart drops the socket, if any, and opens a new one at once.
  function restart() {
    if (socket) { var old = socket; socket = null; old.close(1000, "identified"); }
    connect();
  }

  // send sends frame now, and reports whether it could: nothing is kept
  // for later (the outbox does that for messages).
  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
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

  // --- typing and "Seen" ---
  // Typing is said at most every 2.5 s (the server relays one in 2 s), and
  // once more after a pause, so a draft shown ends as it was left.
  var typingEvery = 2500, typedAt = 0, typingTimer = null, typingLapse = null;
  function typing(form) {
    clearTimeout(typingTimer);
    typingTimer = null;
    var box = form.querySelector("textarea");
    if (!box || !box.value.trim() || form.dataset.sending) return;
    var wait = typedAt + typingEvery - Date.now();
    if (wait > 0) { typingTimer = setTimeout(function () { typing(form); }, wait); return; }
    typedAt = Date.now();
    var frame = { type: "typing" };
    if (part.typing(frame, form, box.value) === false) return; // nothing to say: a private note, say
    send(frame);
  }

  // A typing line lapses after 5 s without another.
  function typingShown() {
    clearTimeout(typingLapse);
    typingLapse = setTimeout(function () { document.getElementById("typing").replaceChildren(); }, 5000);
  }

  // "Seen" goes under one's own last message once read that far (#seen);
  // in a group, the console's part says "Read by N" (#seen's marks).
  function markSeen() {
    var list = thread(), seen = document.getElementById("seen");
    if (!list || !seen) return;
    var mine = list.querySelectorAll(".msg.mine[data-seq]"), last = mine[mine.length - 1];
    list.querySelectorAll(".seen, .read-by").forEach(function (el) { el.remove(); });
    if (seen.dataset.group !== undefined) { part.readBy(list, seen, mine); return; }
    if (!last || seen.dataset.conversation !== last.dataset.conversation || +last.dataset.seq > +seen.dataset.seq) return;
    var mark = document.createElement("span");
    mark.className = "seen";
    mark.dataset.testid = "seen";
    mark.textContent = say("live.seen");
    last.append(mark);
  }

  // --- the outbox: each message until the server has answered for it ---
  // A message stays in the composer until the server acknowledges it. A
  // refusal leaves it there, with the reason beside it. When the server
  // cannot store it just now (or does not answer within a second, or the
  // next message is written first), it moves into the thread as "Sending…"
  // and is sent again, with the same id, until it is stored: after a while
  // it offers "Not sent — Retry". Messages go one at a time, in the order
  // they were written, so a retried message is never overtaken by a later one.
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
    m.box.value = after(m);
  }
  // after is what m's composer holds beyond m's text.
  function after(m) {
    var v = m.box.value, i = v.indexOf(m.text);
    return i !== -1 && !v.slice(0, i).trim() ? v.slice(i + m.text.length).replace(/^\s+/, "") : v;
  }

  // unsent is what form's composer holds beyond the message on its way from it, if any.
  function unsent(form) {
    var m = form.dataset.sending && outbox.get(form.dataset.sending);
    return m ? after(m) : form.querySelector("textarea").value;
  }

  // toThread shows m in the thread as not yet sent, and frees the composer.
  function toThread(m) {
    if (!m.el) {
      var li = document.createElement("li");
      li.id = "pending-" + m.frame.client_msg_id;
      li.className = "msg mine pending" + (m.frame.kind === "note" ? " note" : "");
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

  // mark says where m stands: "Sending…", or "Not sent" with a Retry button;
  // while the page knows it is offline, waiting for the connection.
  function mark(m) {
    if (!m.el) return;
    var d = m.el.querySelector(".delivery");
    if (body.dataset.liveState === "offline") {
      m.el.classList.remove("failed");
      d.textContent = say("live.waiting");
      return;
    }
    var late = Date.now() - m.since >= giveUpAfter;
    m.el.classList.toggle("failed", late);
    if (late && !d.querySelector("button")) {
      d.textContent = say("live.notSent");
      var b = document.createElement("button");
      b.type = "button";
      b.className = "small";
      b.dataset.resend = m.frame.client_msg_id;
      b.dataset.testid = "resend";
      b.textContent = say("live.retry");
      d.append(" — ", b);
    } else if (!late) {
      d.textContent = say("live.sending");
      clearTimeout(m.lateTimer);
      m.lateTimer = setTimeout(function () { if (outbox.has(m.frame.client_msg_id)) mark(m); }, m.since + giveUpAfter - Date.now());
    }
  }

  // keepPending keeps the bubbles of unsent messages last in the thread, in
  // the order they were written, after whatever was stored meanwhile, and
  // puts back those that a swap of the thread removed.
  function keepPending() {
    var list = thread();
    if (!list) return;
    outbox.forEach(function (m) { if (m.el) list.append(m.el); });
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
    // (The widget's part then moves on to a pre-chat field the server refused.)
    m.box.focus();
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

  // submit takes what the composer holds. When the message before it is
  // still on its way there, that one moves into the thread first, and the
  // new one waits behind it, in the thread too: whatever is typed is taken
  // at once, and sent in the order it was written.
  function submit(form) {
    var box = form.querySelector("textarea");
    var before = form.dataset.sending && outbox.get(form.dataset.sending);
    var text = box.value.trim();
    if (before && text.indexOf(before.text) === 0) text = text.slice(before.text.length).trim();
    if (before && !text) return; // Enter again on the message on its way
    if (!text) { showError(say("live.empty")); return; }
    clearTimeout(typingTimer);
    typingTimer = null;
    if (Array.from(text).length > 4000) { showError(say("live.tooLong", { n: 4000 })); return; }
    showError("");
    if (before) toThread(before);
    var id = newID();
    var frame = { type: "send", client_msg_id: id, body: text };
    part.sending(frame, form);
    var m = { frame: frame, text: text, form: form, box: box, tries: 0, since: Date.now(), el: null };
    var behind = outbox.size > 0;
    outbox.set(id, m);
    if (behind) {
      box.value = "";
      toThread(m);
    } else {
      form.dataset.sending = id;
      form.classList.add("sending");
      m.timer = setTimeout(function () { if (outbox.has(id)) toThread(m); }, 1000);
    }
    flush();
  }

  // Leaving the page with a message not yet stored would lose it: the browser asks first.
  window.addEventListener("beforeunload", function (e) {
    if (outbox.size) { e.preventDefault(); e.returnValue = say("live.leave"); }
  });

  // A page left for another may wait in the browser's back/forward cache,
  // and a socket kept open there would keep an agent online and given
  // chats: it closes as a closed tab's does, and the page resumes when it
  // is shown again. What is in the outbox stays there until then.
  window.addEventListener("pagehide", function () {
    hidden = true;
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    if (socket) { var old = socket; socket = null; inflight = null; old.close(1000, "page hidden"); }
  });
  window.addEventListener("pageshow", function (e) {
    if (!e.persisted) return;
    hidden = false;
    attempts = 0;
    start();
  });

  document.addEventListener("submit", function (e) {
    if (!e.target.matches("form[data-live-send]")) return;
    e.preventDefault();
    submit(e.target);
  });
  document.addEventListener("input", function (e) {
    if (e.target.matches("form[data-live-send] textarea")) typing(e.target.form);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.target.matches("form[data-live-send] textarea")) {
      e.preventDefault();
      submit(e.target.form);
    }
  });

  // "Load earlier messages" and other fetch-and-apply buttons; Retry.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("button[data-get]");
    if (btn) {
      btn.disabled = true;
      fetch(btn.dataset.get, { headers: part.headers() })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(apply, function () { btn.disabled = false; showError(say("live.loadFailed")); });
      return;
    }
    // Revoke goes by the socket; without one, the console's form posts it.
    var revoke = e.target.closest("button[data-revoke]");
    if (revoke) {
      var msg = revoke.closest(".msg");
      if (send({ type: "revoke", conversation_id: +msg.dataset.conversation, message_id: +revoke.dataset.revoke })) {
        e.preventDefault();
        showError("");
      }
      return;
    }
    var again = e.target.closest("button[data-resend]");
    if (again) resend(again.dataset.resend);
    if (e.target.closest("#new-messages")) {
      var list = thread();
      if (list) list.scrollTop = list.scrollHeight;
      newMessages(false);
    }
  });
  // Reaching the newest messages answers the "new messages" button.
  document.addEventListener("scroll", function (e) {
    if (e.target.id !== "messages") return;
    scrolledUp = !nearEnd(e.target);
    if (!scrolledUp) newMessages(false);
  }, true);

  // One timer keeps every relative time current, in the words the server
  // wrote it in (views/components.Ago); a date as the reader writes one
  // ("2 Jan", "1月2日"): {d} the day, {m} the month's number, {mon} its short name.
  function ago(t) {
    var s = (Date.now() - t) / 1000;
    if (s < 45) return say("live.justNow");
    if (s < 3600) return say("live.minutesAgo", { n: Math.round(s / 60) });
    if (s < 86400) return say("live.hoursAgo", { n: Math.floor(s / 3600) });
    if (s < 172800) return say("live.yesterday");
    var d = new Date(t);
    return say("live.date", { d: d.getDate(), m: d.getMonth() + 1, mon: d.toLocaleDateString(lang, { month: "short" }) });
  }
  function refreshTimes() {
    document.querySelectorAll("time[data-rel]").forEach(function (el) {
      el.textContent = ago(Date.parse(el.getAttribute("datetime")));
    });
    // A moment written in full, in the reader's time zone.
    document.querySelectorAll("time[data-local]").forEach(function (el) {
      el.textContent = exact(new Date(Date.parse(el.getAttribute("datetime"))));
    });
    // Revoke is offered while the server would still take it.
    document.querySelectorAll("button[data-revoke-until]").forEach(function (el) {
      if (+el.dataset.revokeUntil <= Date.now()) el.remove();
    });
  }
  setInterval(refreshTimes, 15000);

  window.kefuLive = {
    // use plugs a face's part in; it runs before the socket first opens.
    use: function (p) { Object.keys(p).forEach(function (k) { part[k] = p[k]; }); },
    apply: apply,
    send: send,
    start: start,
    restart: restart,
    later: later,
    status: status,
    showError: showError,
    // say is the page's words for key, in its reader's language ("console.…").
    say: say,
    thread: thread,
    position: position,
    pending: function () { return outbox.size; },
    // headers are what the face's fetches carry (the widget's visitor token).
    headers: function () { return part.headers(); },
    unsent: unsent,
    // fresh forgets past failures: the next connect is tried at once.
    fresh: function () { attempts = 0; },
    stop: function () { stopped = true; },
    // go undoes stop: the socket may open again.
    go: function () { stopped = false; }
  };

  var list = thread();
  decorate();
  if (list) list.scrollTop = list.scrollHeight;
  refreshTimes();
  markSeen();
  // Deferred scripts have all run by now: the face's part is in.
  document.addEventListener("DOMContentLoaded", connect);
})();
