// sw.js: kefu's service worker, served at /sw.js so that it may handle the
// whole console. It shows the notifications pushed to an agent whose console
// is closed (one per conversation: a newer one replaces it, and a message
// revoked replaces the one that showed it, quietly), and a click
// brings an open console tab to the conversation, or opens it.
"use strict";

// A new worker takes charge of open console tabs at once, so that a click
// can bring one of them to the conversation.
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });

self.addEventListener("push", function (e) {
  var d = {};
  try { d = e.data ? e.data.json() : {}; } catch (err) { d = { body: e.data ? e.data.text() : "" }; }
  e.waitUntil(self.registration.showNotification(d.title || "kefu", {
    body: d.body || "",
    tag: d.tag || "kefu",
    renotify: d.kind !== "revoked",
    data: { url: d.url || "/console" }
  }));
});

self.addEventListener("notificationclick", function (e) {
  e.notification.close();
  var url = new URL((e.notification.data && e.notification.data.url) || "/console", self.location.origin);
  if (url.origin !== self.location.origin) url = new URL("/console", self.location.origin);
  e.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (tabs) {
    var tab = tabs.find(function (c) { return c.navigate && new URL(c.url).pathname.indexOf("/console") === 0; });
    if (!tab) return self.clients.openWindow(url.href);
    return tab.navigate(url.href).then(function (t) { return (t || tab).focus(); }).catch(function () { return self.clients.openWindow(url.href); });
  }));
});
