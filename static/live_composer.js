// live_composer.js: the console's composer (see live.js and
// live_console.js): the draft kept on the server for every device, the
// Reply / Private note switch, canned responses picked with "/", group
// members picked after "@", a box that grows with its text, and the
// keyboard shortcuts' overlay ("?").
(function () {
  "use strict";

  var live = window.kefuLive;
  function t(id) { return live.say("console." + id); }

  var form = document.getElementById("composer");
  var box = form && form.querySelector("textarea");

  // --- the box grows with its text, up to its CSS max-height ---
  function grow() {
    if (!box) return;
    box.style.height = "auto";
    box.style.height = box.scrollHeight + (box.offsetHeight - box.clientHeight) + "px";
  }

  // --- the draft: saved as the member types, over the socket ---
  // What was typed and not sent is kept by the server for this member and
  // conversation, and comes back in the composer on every device. It is
  // saved a moment after the typing stops; sending drops it on the server.
  var saved = box ? box.value.trim() : "", draftTimer = null;
  function saveDraft() {
    clearTimeout(draftTimer);
    draftTimer = null;
    if (!form) return;
    var body = live.unsent(form).trim();
    if (body === saved) return;
    if (!live.send({ type: "draft", conversation_id: +form.dataset.liveSend, body: body })) {
      draftTimer = setTimeout(saveDraft, 2000); // not connected just now
      return;
    }
    saved = body;
  }
  function draftLater() {
    clearTimeout(draftTimer);
    draftTimer = setTimeout(saveDraft, 600);
  }

  // --- Reply / Private note ---
  var placeholder = box ? box.placeholder : "";
  function mode() {
    var note = form.querySelector("input[name=type][value=note]");
    var on = !!(note && note.checked);
    form.classList.toggle("note-mode", on);
    box.placeholder = on ? t("notePlaceholder") : placeholder;
  }

  // --- canned responses: "/" at the start of the box or of a line ---
  var list = document.getElementById("canned-list");
  var active = -1;
  function query() {
    var m = /(^|\n)\/([a-z0-9_-]*)$/.exec(box.value.slice(0, box.selectionStart));
    return m && box.selectionStart === box.selectionEnd ? m[2] : null;
  }
  function options() {
    return Array.prototype.filter.call(list.querySelectorAll("[data-canned-id]"), function (li) { return !li.hidden; });
  }
  function highlight(i) {
    var shown = options();
    active = shown.length ? (i + shown.length) % shown.length : -1;
    shown.forEach(function (li, k) { li.setAttribute("aria-selected", k === active ? "true" : "false"); });
    if (active >= 0) {
      shown[active].scrollIntoView({ block: "nearest" });
      box.setAttribute("aria-activedescendant", shown[active].id);
    } else {
      box.removeAttribute("aria-activedescendant");
    }
  }
  function filter() {
    if (!list) return;
    var q = query();
    if (q === null) { closeList(); return; }
    var all = list.querySelectorAll("[data-canned-id]"), n = 0;
    all.forEach(function (li) {
      li.hidden = li.dataset.shortcut.indexOf(q) === -1;
      if (!li.hidden) n++;
    });
    list.querySelector("[data-canned-none]").hidden = n > 0;
    list.hidden = false;
    box.setAttribute("aria-expanded", "true");
    highlight(0);
  }
  function closeList() {
    if (!list || list.hidden) return;
    list.hidden = true;
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
    active = -1;
  }
  function pick(li) {
    closeList();
    fetch(form.dataset.canned + li.dataset.cannedId, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (res) {
        var end = box.selectionStart, start = box.value.lastIndexOf("/", end - 1);
        if (start === -1) start = end;
        box.setRangeText(res.text, start, end, "end");
        live.showError("");
        box.focus();
        grow();
        draftLater();
      }, function () { live.showError(t("cannedFailed")); });
  }

  // --- mentions: "@" in a group offers its members by name ---
  // The server finds whom a message mentions from the names it holds
  // after "@"; picking one here only writes the name out in full.
  var mentions = document.getElementById("mention-list");
  var mentionActive = -1;
  function mentionQuery() {
    var m = /(^|\s)@([^\s@]*)$/.exec(box.value.slice(0, box.selectionStart));
    return m && box.selectionStart === box.selectionEnd ? m[2].toLowerCase() : null;
  }
  function mentionOptions() {
    return Array.prototype.filter.call(mentions.querySelectorAll("[data-mention]"), function (li) { return !li.hidden; });
  }
  function mentionHighlight(i) {
    var shown = mentionOptions();
    mentionActive = shown.length ? (i + shown.length) % shown.length : -1;
    shown.forEach(function (li, k) { li.setAttribute("aria-selected", k === mentionActive ? "true" : "false"); });
    if (mentionActive >= 0) box.setAttribute("aria-activedescendant", shown[mentionActive].id);
  }
  function mentionFilter() {
    if (!mentions) return;
    var q = mentionQuery();
    if (q === null) { closeMentions(); return; }
    var n = 0;
    mentions.querySelectorAll("[data-mention]").forEach(function (li) {
      li.hidden = li.dataset.mention.toLowerCase().indexOf(q) !== 0;
      if (!li.hidden) n++;
    });
    if (!n) { closeMentions(); return; }
    mentions.hidden = false;
    box.setAttribute("aria-expanded", "true");
    mentionHighlight(0);
  }
  function closeMentions() {
    if (!mentions || mentions.hidden) return;
    mentions.hidden = true;
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
    mentionActive = -1;
  }
  function pickMention(li) {
    var end = box.selectionStart, start = box.value.lastIndexOf("@", end - 1);
    if (start === -1) return;
    box.setRangeText("@" + li.dataset.mention + " ", start, end, "end");
    closeMentions();
    box.focus();
    grow();
    draftLater();
  }

  if (form) {
    box.setAttribute("aria-autocomplete", list || mentions ? "list" : "none");
    if (list) box.setAttribute("aria-controls", "canned-list");
    grow();
    // The composer has the focus when a conversation opens, its caret
    // after a draft brought back; not on a touch screen, where the focus
    // would bring the keyboard up over the chat being read.
    var touch = window.matchMedia("(pointer: coarse)").matches;
    if (touch && document.activeElement === box) box.blur();
    else if (!document.activeElement || document.activeElement === document.body || document.activeElement === box) {
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    }
    form.addEventListener("input", function (e) {
      if (e.target !== box) return;
      grow();
      filter();
      mentionFilter();
      draftLater();
    });
    form.addEventListener("change", function (e) { if (e.target.name === "type") { mode(); box.focus(); } });
    form.addEventListener("submit", function () {
      // What is sent is no draft: the server drops it with the message.
      clearTimeout(draftTimer);
      draftTimer = null;
      saved = "";
      closeList();
    });
    box.addEventListener("blur", function () { closeList(); closeMentions(); if (draftTimer) saveDraft(); });
    window.addEventListener("beforeunload", function () { if (draftTimer) saveDraft(); }); // before the socket closes
    box.addEventListener("click", filter);
    if (mentions) {
      mentions.addEventListener("mousedown", function (e) { e.preventDefault(); }); // the box keeps the focus
      mentions.addEventListener("click", function (e) {
        var li = e.target.closest("[data-mention]");
        if (li) pickMention(li);
      });
    }
    if (list) {
      list.addEventListener("mousedown", function (e) { e.preventDefault(); }); // the box keeps the focus
      list.addEventListener("click", function (e) {
        var li = e.target.closest("[data-canned-id]");
        if (li) pick(li);
      });
    }
    // A message sent leaves in the box what was typed after it: that is the draft now.
    new MutationObserver(function () { if (!form.classList.contains("sending")) { grow(); draftLater(); } })
      .observe(form, { attributes: true, attributeFilter: ["class"] });
    mode();
  }

  // --- keys ---
  var help = document.getElementById("shortcuts-help"), before = null;
  function openHelp() {
    before = document.activeElement;
    help.hidden = false;
    help.querySelector("[data-close-overlay]").focus();
  }
  function closeHelp() {
    help.hidden = true;
    if (before && before.isConnected) before.focus();
  }
  function typingIn(el) {
    return el && (el.isContentEditable || /^(input|textarea|select)$/i.test(el.localName));
  }
  // Captured, so that Enter picks a canned response instead of sending.
  document.addEventListener("keydown", function (e) {
    if (help && !help.hidden) {
      if (e.key === "Escape") { e.preventDefault(); closeHelp(); }
      return;
    }
    if (box && e.target === box && list && !list.hidden && e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      closeList(); // Ctrl/Cmd+Enter sends, whatever is open
      return;
    }
    if (box && e.target === box && mentions && !mentions.hidden) {
      var offered = mentionOptions();
      switch (e.key) {
        case "ArrowDown": mentionHighlight(mentionActive + 1); break;
        case "ArrowUp": mentionHighlight(mentionActive - 1); break;
        case "Enter": case "Tab":
          if (e.isComposing || e.ctrlKey || e.metaKey) return;
          if (mentionActive >= 0 && offered[mentionActive]) pickMention(offered[mentionActive]); else closeMentions();
          break;
        case "Escape": closeMentions(); break;
        default: return;
      }
      e.preventDefault();
      e.stopPropagation();
      return;
    }
    if (box && e.target === box && list && !list.hidden) {
      var shown = options();
      switch (e.key) {
        case "ArrowDown": highlight(active + 1); break;
        case "ArrowUp": highlight(active - 1); break;
        case "Enter": case "Tab":
          if (e.isComposing) return;
          if (active >= 0 && shown[active]) pick(shown[active]); else closeList();
          break;
        case "Escape": closeList(); break;
        default: return;
      }
      e.preventDefault();
      e.stopPropagation();
      return;
    }
    if (e.key === "?" && help && !e.ctrlKey && !e.metaKey && !e.altKey && !typingIn(e.target)) {
      e.preventDefault();
      openHelp();
    }
  }, true);
  if (help) {
    help.addEventListener("click", function (e) {
      if (e.target === help || e.target.closest("[data-close-overlay]")) closeHelp();
    });
  }
})();
