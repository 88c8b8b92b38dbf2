// The console's one script: live deadline countdowns, the incident list's
// auto-refresh, and the browser's time zone on the on-call page. Every page
// works without it; it only updates what the server already rendered.
(function () {
  "use strict";

  // The server's words (http/console/clock.rs): "in 2 h 05 min", "3 min ago".
  function countdown(now, at) {
    var secs = Math.trunc((at - now) / 1000);
    var mins = Math.ceil(Math.abs(secs) / 60);
    var span;
    if (mins === 0) return "now";
    if (mins < 60) span = mins + " min";
    else if (mins < 48 * 60) span = Math.floor(mins / 60) + " h " + String(mins % 60).padStart(2, "0") + " min";
    else span = Math.floor(mins / (24 * 60)) + " d " + (Math.floor(mins / 60) % 24) + " h";
    return secs > 0 ? "in " + span : span + " ago";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("data-due"));
      if (!isNaN(at)) el.textContent = countdown(now, at);
    });
  }

  // The list, fetched afresh and swapped in, unless someone is typing in it.
  function refresh(region, seconds) {
    setInterval(function () {
      if (document.hidden || region.contains(document.activeElement) && document.activeElement !== document.body) return;
      fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok && !r.redirected ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(region.id);
          if (!fresh) return;
          region.replaceChildren.apply(region, Array.from(fresh.childNodes));
          tick();
          var said = document.getElementById("refreshed");
          if (said) said.textContent = "Updated " + new Date().toLocaleTimeString();
        })
        .catch(function () {});
    }, seconds * 1000);
  }

  // The on-call page in the browser's zone, when none was asked for.
  function zone() {
    var form = document.getElementById("zone-form");
    if (!form || form.getAttribute("data-zone-set") === "true") return;
    var tz;
    try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    if (!tz || tz === "UTC" || tz === "Etc/UTC") return;
    var url = new URL(location.href);
    url.searchParams.set("tz", tz);
    location.replace(url.toString());
  }

  tick();
  setInterval(tick, 1000);
  var region = document.querySelector("[data-refresh]");
  if (region) {
    var s = parseInt(region.getAttribute("data-refresh"), 10);
    if (s >= 5) refresh(region, s);
  }
  zone();
})();
