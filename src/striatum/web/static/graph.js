// The job graph's zoom: fit to the box's width, zoom in and out, back to 100%. The SVG keeps
// its viewBox and only its width and height attributes change (no inline style: CSP). The
// chosen zoom survives the live refresh of the page's content (kept per page for the tab).
(function () {
  "use strict";
  var STEP = 1.25, MIN = 0.1, MAX = 4;
  var key = "striatum-graph-zoom:" + window.location.pathname;

  function parts() {
    var svg = document.querySelector("svg.graph");
    var box = document.querySelector(".graph-scroll");
    if (!svg || !box) { return null; }
    var view = svg.viewBox.baseVal;
    return { svg: svg, box: box, width: view.width, height: view.height };
  }

  function fitScale(p) {
    return Math.min(1, Math.max(MIN, (p.box.clientWidth - 4) / p.width));
  }

  function apply(mode) {
    var p = parts();
    if (!p) { return; }
    var scale = mode === "fit" ? fitScale(p) : Math.min(MAX, Math.max(MIN, Number(mode) || 1));
    p.svg.setAttribute("width", String(Math.round(p.width * scale)));
    p.svg.setAttribute("height", String(Math.round(p.height * scale)));
    p.svg.dataset.scale = scale.toFixed(3);
    var label = document.getElementById("graph-zoom-level");
    if (label) { label.textContent = Math.round(scale * 100) + "%"; }
    var tools = document.querySelector(".graph-tools");
    if (tools) { tools.hidden = false; }
  }

  function current() {
    var p = parts();
    return p && p.svg.dataset.scale ? Number(p.svg.dataset.scale) : 1;
  }

  function chosen() {
    var saved = window.sessionStorage.getItem(key);
    if (saved) { return saved; }
    var p = parts();
    return p && p.width > p.box.clientWidth ? "fit" : "1";  // a wide graph starts fitted
  }

  function choose(mode) {
    window.sessionStorage.setItem(key, mode);
    apply(mode);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-zoom]") : null;
    if (!button) { return; }
    var how = button.dataset.zoom;
    if (how === "fit") { choose("fit"); }
    else if (how === "in") { choose(String(current() * STEP)); }
    else if (how === "out") { choose(String(current() / STEP)); }
    else { choose("1"); }
  });
  document.addEventListener("striatum:refreshed", function () { apply(chosen()); });
  window.addEventListener("resize", function () { if (chosen() === "fit") { apply("fit"); } });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { apply(chosen()); });
  } else {
    apply(chosen());
  }
})();
