// The agent's log tails on a job page, followed while the agent runs: every POLL_MS the
// section is fetched again from /runs/RUN/jobs/JOB/logs (bounded tails) until the job is no
// longer leased. A log scrolled to its end stays at its end. No inline script anywhere (CSP).
(function () {
  "use strict";
  var POLL_MS = 2000;
  var timer = null;

  function section() { return document.getElementById("agent-output"); }

  function atEnd(pre) { return pre.scrollHeight - pre.scrollTop - pre.clientHeight < 8; }

  function swap(target, html) {
    var following = {};
    target.querySelectorAll("pre[data-log]").forEach(function (pre) {
      following[pre.dataset.log] = atEnd(pre);
    });
    target.innerHTML = html;
    target.querySelectorAll("pre[data-log]").forEach(function (pre) {
      if (following[pre.dataset.log] !== false) { pre.scrollTop = pre.scrollHeight; }
    });
    target.dataset.polled = String(Date.now());
  }

  function poll() {
    timer = null;
    var target = section();
    if (!target || !target.dataset.logUrl) { return; }
    var url = target.dataset.logUrl;
    fetch(url + "?fragment=1", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        var now = section();
        if (html === null || !now || now.dataset.logUrl !== url) { return; }
        if (now.innerHTML.trim() !== html.trim()) { swap(now, html); }
        if (now.querySelector("[data-log-live]")) { schedule(); }
      })
      .catch(schedule);
  }

  function schedule() { if (timer === null) { timer = window.setTimeout(poll, POLL_MS); } }

  document.addEventListener("striatum:refreshed", schedule);  // the page's live refresh
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", schedule);
  } else {
    schedule();
  }
})();
