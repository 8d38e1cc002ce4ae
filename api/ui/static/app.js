// metacrawl: small additions to pages that work without JavaScript.
(function () {
  "use strict";

  // Copy buttons: <button data-copy="#sql">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent).then(function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 1500);
    });
  });

  // Source form: the engine's fields come from the server (htmx swaps them on
  // change; without JavaScript the form comes back with them), nothing to do here.

  // Search suggestions: Escape closes them, ArrowDown moves into them.
  document.addEventListener("keydown", function (event) {
    var suggest = document.getElementById("suggest");
    if (!suggest) return;
    if (event.key === "Escape" && suggest.innerHTML) {
      suggest.innerHTML = "";
      document.getElementById("suggest-count").textContent = "";
      document.getElementById("q").focus();
    } else if (event.key === "ArrowDown" && event.target.id === "q") {
      var first = suggest.querySelector("a");
      if (first) { first.focus(); event.preventDefault(); }
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && suggest.contains(event.target)) {
      var links = Array.prototype.slice.call(suggest.querySelectorAll("a"));
      var at = links.indexOf(event.target) + (event.key === "ArrowDown" ? 1 : -1);
      if (at < 0) document.getElementById("q").focus();
      else if (links[at]) links[at].focus();
      event.preventDefault();
    }
  });
  document.addEventListener("click", function (event) {
    var suggest = document.getElementById("suggest");
    if (suggest && !event.target.closest(".search")) {
      suggest.innerHTML = "";
      document.getElementById("suggest-count").textContent = "";
    }
  });

  // A box that scrolls (a wide table, SQL, a diagram on a phone) takes the focus
  // so the keyboard can scroll it, as a region named after its section; only
  // while it does scroll, so the tab order stays as it was where nothing does.
  function scrollBoxes() {
    document.querySelectorAll(".scroll, pre.sql, .diagram").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        var section = box.closest("section"), heading = section && section.querySelector("h2, h3");
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-focus", "");
        if (!box.hasAttribute("role")) {
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", (heading ? heading.textContent.trim() : "Content") + " (scrolls)");
        }
      } else if (!scrolls && box.hasAttribute("data-scroll-focus")) {
        ["tabindex", "data-scroll-focus", "role", "aria-label"].forEach(function (name) { box.removeAttribute(name); });
      }
    });
  }
  scrollBoxes();
  var resized;
  window.addEventListener("resize", function () { clearTimeout(resized); resized = setTimeout(scrollBoxes, 200); });
  document.addEventListener("htmx:afterSettle", scrollBoxes);

  // Diagrams scroll in their own box: a table box reached with Tab is scrolled
  // into sight (Chromium does it on its own; this is for browsers that do not
  // for an SVG link).
  document.addEventListener("focusin", function (event) {
    var box = event.target.closest && event.target.closest(".diagram");
    if (box && box !== event.target && event.target.scrollIntoView) {
      event.target.scrollIntoView({block: "nearest", inline: "nearest"});
    }
  });
})();

// Pan and zoom of a large diagram (the schema diagram page): the SVG's viewBox
// moves, nothing else. Drag with a pointer, the wheel zooms at the pointer;
// the box is focusable: arrow keys pan, + and - zoom, 0 fits the drawing.
(function () {
  function setup(box) {
    var svg = box.querySelector("svg");
    if (!svg || box.dataset.panZoom) return;
    box.dataset.panZoom = "on";
    var parts = (svg.getAttribute("viewBox") || "").trim().split(/[\s,]+/).map(Number);
    if (parts.length !== 4 || parts.some(isNaN)) return;
    var full = parts.slice();
    var view = parts.slice();
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    // a small drawing is shown at its own size (Graphviz's pt, 0.75 a pixel), not magnified to fill the box
    var box0 = svg.getBoundingClientRect();
    if (box0.width && box0.height && Math.max(full[2] / box0.width, full[3] / box0.height) < 0.75) {
      var w0 = box0.width * 0.75, h0 = box0.height * 0.75;
      full = [full[0] - (w0 - full[2]) / 2, full[1] - (h0 - full[3]) / 2, w0, h0];
      view = full.slice();
      apply();
    }
    function apply() { svg.setAttribute("viewBox", view.map(function (v) { return v.toFixed(2); }).join(" ")); }
    function zoom(factor, cx, cy) {
      var w = Math.min(full[2] * 4, Math.max(full[2] / 40, view[2] * factor));
      var f = w / view[2];
      if (cx === undefined) { cx = view[0] + view[2] / 2; cy = view[1] + view[3] / 2; }
      view = [cx - (cx - view[0]) * f, cy - (cy - view[1]) * f, view[2] * f, view[3] * f];
      apply();
    }
    function pan(dx, dy) { view[0] += dx; view[1] += dy; apply(); }
    function scale() { var r = svg.getBoundingClientRect(); return Math.max(view[2] / (r.width || 1), view[3] / (r.height || 1)); }
    var drag = null;
    var moved = false;
    svg.addEventListener("pointerdown", function (e) {
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, k: scale() };
      moved = false;
    });
    svg.addEventListener("pointermove", function (e) {
      if (!drag) return;
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!moved && Math.abs(dx) + Math.abs(dy) < 4) return;
      if (!moved) { try { svg.setPointerCapture(e.pointerId); } catch (err) { /* not a capturable pointer */ } }
      moved = true;
      pan(-dx * drag.k, -dy * drag.k);
      drag.x = e.clientX;
      drag.y = e.clientY;
    });
    function end() { drag = null; }
    svg.addEventListener("pointerup", end);
    svg.addEventListener("pointercancel", end);
    svg.addEventListener("click", function (e) { if (moved) { e.preventDefault(); moved = false; } }, true);
    svg.addEventListener("wheel", function (e) {
      e.preventDefault();
      var r = svg.getBoundingClientRect(), k = scale();
      var cx = view[0] + (e.clientX - r.left) * k - (r.width * k - view[2]) / 2;
      var cy = view[1] + (e.clientY - r.top) * k - (r.height * k - view[3]) / 2;
      zoom(e.deltaY > 0 ? 1.2 : 1 / 1.2, cx, cy);
    }, { passive: false });
    box.addEventListener("keydown", function (e) {
      var step = view[2] / 10;
      var keys = {
        ArrowLeft: function () { pan(-step, 0); }, ArrowRight: function () { pan(step, 0); },
        ArrowUp: function () { pan(0, -step); }, ArrowDown: function () { pan(0, step); },
        "+": function () { zoom(1 / 1.25); }, "=": function () { zoom(1 / 1.25); }, "-": function () { zoom(1.25); },
        "0": function () { view = full.slice(); apply(); }
      };
      if (e.target !== box || !keys[e.key]) return;
      keys[e.key]();
      e.preventDefault();
    });
    var buttons = box.parentNode.querySelector(".pan-zoom-buttons");
    if (buttons) {
      buttons.hidden = false;
      buttons.addEventListener("click", function (e) {
        var which = e.target.getAttribute("data-zoom");
        if (which === "in") zoom(1 / 1.25);
        else if (which === "out") zoom(1.25);
        else if (which === "fit") { view = full.slice(); apply(); }
      });
    }
  }
  function all() { Array.prototype.forEach.call(document.querySelectorAll(".pan-zoom"), setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
  document.addEventListener("htmx:afterSettle", all);
})();
