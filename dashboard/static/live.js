// Keeps a dashboard page live: fetches its fragment every few seconds
// and swaps it in. When the center stops answering, the page says so and
// greys the figures, so a stale number is never taken for a live one.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) return;
  var url = live.getAttribute("data-live");
  var every = parseInt(live.getAttribute("data-poll"), 10) || 2500;
  var conn = document.getElementById("conn");
  var lastOK = new Date();

  function hhmmss(d) {
    return d.toTimeString().slice(0, 8);
  }

  function stale(on, why) {
    document.body.classList.toggle("stale", on);
    if (!conn) return;
    conn.hidden = !on;
    if (on) {
      conn.textContent = "No answer from the center since " + hhmmss(lastOK) +
        (why ? " (" + why + ")" : "") + ". The figures below are from then — not live.";
    }
  }

  function tick() {
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, every * 2);
    fetch(url, { credentials: "same-origin", cache: "no-store", signal: ctl.signal })
      .then(function (r) {
        if (r.status === 401) {
          location.assign("/login");
          throw null;
        }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      })
      .then(function (html) {
        live.innerHTML = html;
        lastOK = new Date();
        stale(false);
      })
      .catch(function (e) {
        if (e) stale(true, e.name === "AbortError" ? "timed out" : e.message);
      })
      .finally(function () {
        clearTimeout(timer);
        setTimeout(tick, every);
      });
  }
  setTimeout(tick, every);
})();
