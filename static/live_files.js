// live_files.js: images and files, in the console and the widget alike.
// A file chosen with the attach button, pasted into the composer or dropped
// on it is uploaded to the form's data-upload URL, with a client_msg_id of
// its own: a failed upload is sent again with the same id, so the server
// stores it once. Its bubble comes over the socket like any message's and
// takes the place of the pending one drawn here. A thumbnail opens the
// viewer. The widget's frame may not send kefu's cookies, so there every
// file is fetched with the visitor's token and shown from a blob: URL; and
// the widget loads this file only when it first needs it (live_widget.js).
(function () {
  "use strict";
  var live = window.kefuLive;
  if (!live) return;
  var widget = document.body.dataset.face === "widget";
  var maxTries = 6;

  function newID() {
    var b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return "f" + Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  // headers are an upload's or a fetch's: the widget's token, the console's CSRF token.
  function headers(form) {
    var h = live.headers() || {};
    h.Accept = "application/json";
    var csrf = form && form.querySelector("input[name=_csrf]");
    if (csrf) h["X-CSRF-Token"] = csrf.value;
    return h;
  }

  // pending draws the upload in the thread until its stored bubble replaces it.
  function pending(up) {
    var li = document.createElement("li");
    li.id = "pending-" + up.id;
    li.className = "msg mine pending";
    li.dataset.testid = "pending";
    var p = document.createElement("p");
    p.className = "body";
    p.textContent = up.file.name || "";
    var d = document.createElement("span");
    d.className = "delivery";
    d.setAttribute("role", "status");
    d.textContent = live.say("live.uploading", { name: up.file.name || "" });
    li.append(p, d);
    var list = live.thread();
    if (list) { list.append(li); list.scrollTop = list.scrollHeight; }
    return li;
  }

  function upload(form, file) {
    var up = { id: newID(), file: file, form: form, tries: 0 };
    up.el = pending(up);
    send(up);
  }

  function send(up) {
    up.tries++;
    var data = new FormData();
    data.append("client_msg_id", up.id);
    if (up.form.dataset.to) data.append("to", up.form.dataset.to);
    data.append("file", up.file, up.file.name || "file");
    fetch(up.form.dataset.upload, { method: "POST", credentials: "same-origin", headers: headers(up.form), body: data })
      .then(function (r) {
        if (r.ok) { done(up); return; }
        return r.json().then(function (j) {
          // A refusal is for good; a server that could not store it just now is asked again.
          if (r.status >= 500 || r.status === 429) throw new Error(j && j.message);
          refused(up, (j && j.message) || String(r.status));
        }, function () { throw new Error(String(r.status)); });
      })
      .catch(function () { later(up); });
  }

  function done(up) {
    var d = up.el.querySelector(".delivery");
    if (d) d.textContent = "";
  }

  function refused(up, reason) {
    up.el.remove();
    live.showError(live.say("live.uploadFailed", { name: up.file.name || "", reason: reason }));
  }

  // later sends up again, with the same id, after a backoff; after a few
  // tries the person is offered Retry.
  function later(up) {
    var d = up.el.querySelector(".delivery");
    if (up.tries >= maxTries) {
      up.el.classList.add("failed");
      d.textContent = live.say("live.notSent") + " — ";
      var b = document.createElement("button");
      b.type = "button";
      b.className = "small";
      b.dataset.testid = "resend";
      b.textContent = live.say("live.retry");
      b.addEventListener("click", function () { up.tries = 0; up.el.classList.remove("failed"); d.textContent = live.say("live.uploading", { name: up.file.name || "" }); send(up); });
      d.append(b);
      return;
    }
    var delay = Math.min(8000, 500 * Math.pow(2, up.tries - 1));
    setTimeout(function () { send(up); }, delay / 2 + Math.random() * delay / 2);
  }

  function uploadAll(form, files) {
    if (!form || !form.dataset.upload) return;
    live.showError("");
    Array.prototype.forEach.call(files, function (f) { upload(form, f); });
  }

  document.addEventListener("change", function (e) {
    if (!e.target.matches("input[data-attach]")) return;
    uploadAll(e.target.form, e.target.files);
    e.target.value = "";
  });
  // A pasted screenshot is a file on the clipboard; pasted text stays text.
  document.addEventListener("paste", function (e) {
    var form = e.target.closest && e.target.closest("form[data-upload]");
    var files = e.clipboardData && e.clipboardData.files;
    if (!form || !files || !files.length) return;
    e.preventDefault();
    uploadAll(form, files);
  });
  // Dropped on the composer or the thread.
  function dropTarget(e) {
    if (!e.target.closest || !e.target.closest("form[data-upload], #messages")) return null;
    return document.querySelector("form[data-upload]");
  }
  document.addEventListener("dragover", function (e) {
    if (dropTarget(e) && e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, "Files") !== -1) e.preventDefault();
  });
  document.addEventListener("drop", function (e) {
    var form = dropTarget(e);
    if (!form || !e.dataTransfer || !e.dataTransfer.files.length) return;
    e.preventDefault();
    uploadAll(form, e.dataTransfer.files);
  });

  // --- showing files in the widget: fetched with the token ---
  var blobs = new Map(); // url → Promise of a blob: URL
  function blobURL(url) {
    if (!blobs.has(url)) {
      blobs.set(url, fetch(url, { headers: headers(null) }).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.blob();
      }).then(function (b) { return URL.createObjectURL(b); }, function (err) { blobs.delete(url); throw err; }));
    }
    return blobs.get(url);
  }
  function load(root) {
    if (!widget || !root.querySelectorAll) return;
    var els = Array.prototype.slice.call(root.querySelectorAll("[data-src]:not([src])"));
    if (root.matches && root.matches("[data-src]:not([src])")) els.push(root);
    els.forEach(function (el) {
      blobURL(el.dataset.src).then(function (u) { el.src = u; }, function () {});
    });
  }
  if (widget) {
    new MutationObserver(function (records) {
      records.forEach(function (r) { r.addedNodes.forEach(function (n) { if (n.nodeType === 1) load(n); }); });
    }).observe(document.body, { childList: true, subtree: true });
    load(document);
  }

  // A file's card downloads it: in the widget, through a fetch with the token.
  document.addEventListener("click", function (e) {
    var a = e.target.closest("a[data-fetch-file]");
    if (a && widget) {
      e.preventDefault();
      blobURL(a.dataset.fetchFile).then(function (u) {
        var tmp = document.createElement("a");
        tmp.href = u;
        tmp.download = a.getAttribute("download") || "";
        document.body.append(tmp);
        tmp.click();
        tmp.remove();
      }, function () {});
      return;
    }
    var thumb = e.target.closest("button[data-viewer]");
    if (thumb) { open(thumb); return; }
    if (e.target.closest("[data-viewer-close]") || e.target.matches(".viewer")) close();
  });

  // --- the viewer: one image at a time, over the page ---
  var viewer = null;
  var opener = null;
  function open(thumb) {
    close();
    opener = thumb;
    viewer = document.createElement("div");
    viewer.className = "viewer";
    viewer.setAttribute("role", "dialog");
    viewer.setAttribute("aria-modal", "true");
    viewer.setAttribute("aria-label", thumb.dataset.name || "");
    viewer.dataset.testid = "viewer";
    var img = document.createElement("img");
    img.alt = thumb.dataset.name || "";
    img.dataset.testid = "viewer-image";
    var bar = document.createElement("div");
    bar.className = "viewer-bar";
    var name = document.createElement("span");
    name.textContent = thumb.dataset.name || "";
    var save = document.createElement("a");
    save.textContent = live.say("live.viewerDownload");
    save.download = thumb.dataset.name || "";
    save.dataset.fetchFile = thumb.dataset.viewer;
    save.href = thumb.dataset.viewer;
    var shut = document.createElement("button");
    shut.type = "button";
    shut.dataset.viewerClose = "";
    shut.dataset.testid = "viewer-close";
    shut.textContent = live.say("live.viewerClose");
    bar.append(name, save, shut);
    viewer.append(img, bar);
    document.body.append(viewer);
    if (widget) blobURL(thumb.dataset.viewer).then(function (u) { img.src = u; }, function () {});
    else img.src = thumb.dataset.viewer;
    shut.focus();
  }
  function close() {
    if (!viewer) return;
    viewer.remove();
    viewer = null;
    if (opener) opener.focus();
    opener = null;
  }
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && viewer) close();
  });

  // The widget loads this file when first needed, and hands it what came before.
  window.kefuFiles = { upload: uploadAll };
})();
