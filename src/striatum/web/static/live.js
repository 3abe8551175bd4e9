// Live updates: listen to /live (server-sent events) and swap the page's content for a
// fresh render of the same page when events arrive. No inline script anywhere (CSP).
(function () {
  "use strict";
  var main = document.getElementById("content");
  if (!main || !main.dataset.live || !window.EventSource) { return; }
  var dot = document.getElementById("live-dot");
  var busy = false, again = false;

  function editing() {
    var el = document.activeElement;
    return el && main.contains(el) && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) && el.value;
  }

  function refresh() {
    if (busy || editing()) { again = true; return; }
    busy = true;
    var url = new URL(window.location.href);
    url.searchParams.set("fragment", "1");
    fetch(url.toString(), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null) {
          main.innerHTML = html;
          main.dataset.refreshed = String(Date.now());
          document.dispatchEvent(new CustomEvent("striatum:refreshed"));
        }
      })
      .catch(function () { again = true; })
      .then(function () {
        busy = false;
        if (again) { again = false; window.setTimeout(refresh, 300); }
      });
  }

  var source = new EventSource(main.dataset.live);
  source.addEventListener("open", function () { if (dot) { dot.classList.add("on"); } });
  source.addEventListener("error", function () { if (dot) { dot.classList.remove("on"); } });
  source.addEventListener("change", refresh);
  source.addEventListener("end", function () {
    source.close();
    if (dot) { dot.classList.remove("on"); }
    refresh();
  });
  document.addEventListener("focusout", function () { if (again) { again = false; refresh(); } });
})();
