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
    if (suggest && !event.target.closest(".search")) suggest.innerHTML = "";
  });
})();
