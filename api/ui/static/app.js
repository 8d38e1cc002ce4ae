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
