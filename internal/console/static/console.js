// console.js: live updates for the antomgw console. Every page and action
// works without it; it only keeps lists and the clock fresh.
(function () {
  "use strict";

  // An element with data-live="URL" is refilled with the HTML the URL
  // answers (the console's partial=rows), every 2 s while the page is
  // visible.
  function live(el) {
    var url = el.getAttribute("data-live");
    var busy = false;
    var timer = setInterval(function () {
      if (busy || document.hidden) return;
      busy = true;
      fetch(url, { credentials: "same-origin", cache: "no-store", redirect: "error" })
        .then(function (r) {
          if (r.status === 401 || r.status === 403) clearInterval(timer);
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.text();
        })
        .then(function (html) { el.innerHTML = html; })
        .catch(function () { /* keep the rows shown; try again next time */ })
        .then(function () { busy = false; });
    }, 2000);
  }
  document.querySelectorAll("[data-live]").forEach(live);

  // The header's gateway clock follows the gateway (a test clock moves
  // only when told).
  var clock = document.querySelector("[data-clock]");
  if (clock && window.fetch) {
    setInterval(function () {
      if (document.hidden) return;
      fetch("/console/api/clock", { credentials: "same-origin", cache: "no-store", redirect: "error" })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (j) {
          var t = new Date(j.now);
          if (isNaN(t)) return;
          var iso = t.toISOString(); // 2026-03-02T09:30:00.000Z
          clock.setAttribute("datetime", j.now);
          clock.textContent = iso.slice(0, 10) + " " + iso.slice(11, 23);
        })
        .catch(function () {});
    }, 5000);
  }
})();
