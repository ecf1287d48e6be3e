{% load static %}// The till's service worker: keeps the till page and its scripts in the browser so that a
// reload while the network is down still opens the till (the sales themselves wait in
// IndexedDB, see offline.js). Network first, the cached copy only when the network fails;
// API answers are never cached here.
const CACHE = "epicerie-caisse-{{ version }}";
const SHELL = [
  "{% url 'till' %}",
  "{% static 'frontend/app.css' %}",
  "{% static 'frontend/till/till.css' %}",
  "{% static 'frontend/till/till.js' %}",
  "{% static 'frontend/till/scanner.js' %}",
  "{% static 'frontend/till/sale.js' %}",
  "{% static 'frontend/till/offline.js' %}",
  "{% static 'frontend/till/ui.js' %}",
];
const SHELL_PATHS = new Set(SHELL.map((path) => new URL(path, self.location.origin).pathname));

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith("epicerie-caisse-") && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !SHELL_PATHS.has(url.pathname)) return; // the API goes to the network
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok && !response.redirected) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
        }
        return response;
      })
      .catch(() => caches.match(url.pathname).then((cached) => cached || Response.error())),
  );
});
