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

  // Source form: show the options of the chosen engine, and its usual port.
  function engineChanged(select) {
    var form = select.form;
    var engine = select.value;
    form.querySelectorAll("[data-engines]").forEach(function (el) {
      el.hidden = el.getAttribute("data-engines").split(" ").indexOf(engine) < 0;
    });
    var ports = JSON.parse(form.getAttribute("data-default-ports") || "{}");
    var port = form.querySelector("[name=port]");
    var known = Object.keys(ports).map(function (k) { return String(ports[k]); });
    if (port && (port.value === "" || known.indexOf(port.value) >= 0) && ports[engine]) {
      port.value = ports[engine];
    }
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches(".source-form [name=engine]")) engineChanged(event.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector(".source-form [name=engine]");
    if (select) {
      var engine = select.value;
      select.form.querySelectorAll("[data-engines]").forEach(function (el) {
        el.hidden = el.getAttribute("data-engines").split(" ").indexOf(engine) < 0;
      });
    }
  });

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
