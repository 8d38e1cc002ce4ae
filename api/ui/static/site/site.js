// The published docs site's search (api/ui/docs_site.py): tables found by name in the browser, typos
// forgiven, no server. The index is assets/search-index.js (a script, not JSON: a page opened from disk
// may not fetch() a file beside it), loaded on the first keystroke. Each entry is
// [schema, table, kind, file, about, [column names]].
//
// The matching is a bounded edit distance (Damerau-Levenshtein, adjacent swaps counted as one edit) rather
// than a fuzzy-search library: the names are short identifiers and people type them from memory, so
// "exact, prefix, substring, then one or two edits" ranks as they expect, it is ~60 lines, and nothing
// has to be vendored into every site.
(function () {
  "use strict";
  var form = document.getElementById("site-search");
  if (!form) return;
  var input = document.getElementById("site-q");
  var box = document.getElementById("site-results");
  var root = document.body.getAttribute("data-root") || "";
  var LIMIT = 20;
  var requested = false;
  form.hidden = false;

  function withIndex(then) {
    if (window.metacrawlSearch) { then(); return; }
    if (requested) return;
    requested = true;
    var script = document.createElement("script");
    script.src = root + "assets/search-index.js";
    script.onload = then;
    document.head.appendChild(script);
  }

  // The edit distance of a and b, or max + 1 once it is certainly above max.
  function distance(a, b, max) {
    if (Math.abs(a.length - b.length) > max) return max + 1;
    var prev2 = null, prev = [], cur, i, j;
    for (j = 0; j <= b.length; j++) prev.push(j);
    for (i = 1; i <= a.length; i++) {
      cur = [i];
      var best = i;
      for (j = 1; j <= b.length; j++) {
        var cost = a.charAt(i - 1) === b.charAt(j - 1) ? 0 : 1;
        var d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
        if (prev2 && i > 1 && j > 1 && a.charAt(i - 1) === b.charAt(j - 2) && a.charAt(i - 2) === b.charAt(j - 1)) {
          d = Math.min(d, prev2[j - 2] + 1);
        }
        cur.push(d);
        if (d < best) best = d;
      }
      if (best > max) return max + 1;
      prev2 = prev;
      prev = cur;
    }
    return prev[b.length];
  }

  // How well `q` names this entry (lower is better), with what matched; null when it does not.
  function rank(q, entry) {
    var name = entry[1].toLowerCase();
    var full = (entry[0] + "." + entry[1]).toLowerCase();
    var max = q.length <= 3 ? 0 : q.length <= 7 ? 1 : 2;
    if (name === q || full === q) return [0, "name"];
    if (name.indexOf(q) === 0 || full.indexOf(q) === 0) return [1, "name starts"];
    if (full.indexOf(q) >= 0) return [2, "name contains"];
    var d = distance(q, name, max);
    if (d <= max) return [3 + d, "name, " + d + (d === 1 ? " typo" : " typos")];
    if (name.length > q.length && (d = distance(q, name.slice(0, q.length), max)) <= max) {
      return [6 + d, "name starts, " + d + (d === 1 ? " typo" : " typos")];
    }
    var columns = entry[5] || [];
    for (var c = 0; c < columns.length; c++) {
      var col = String(columns[c]).toLowerCase();
      if (col === q) return [9, "column " + columns[c]];
      if (q.length >= 3 && col.indexOf(q) >= 0) return [10, "column " + columns[c]];
      if (max && distance(q, col, max) <= max) return [11, "column " + columns[c] + ", typo"];
    }
    return null;
  }

  function show(hits, q) {
    box.textContent = "";
    if (!q) return;
    if (!hits.length) {
      var empty = document.createElement("p");
      empty.className = "empty";
      empty.textContent = "Nothing matches \u201c" + q + "\u201d.";
      box.appendChild(empty);
      return;
    }
    var list = document.createElement("ul");
    list.className = "hits suggest-list";
    hits.forEach(function (h) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = root + h.entry[3];
      var kind = document.createElement("span");
      kind.className = "badge kind-" + h.entry[2];
      kind.textContent = h.entry[2].replace(/_/g, " ");
      var name = document.createElement("span");
      name.className = "hit-name";
      name.textContent = h.entry[0] + "." + h.entry[1];
      var why = document.createElement("span");
      why.className = "sub";
      why.textContent = h.why;
      a.appendChild(kind); a.appendChild(document.createTextNode(" "));
      a.appendChild(name); a.appendChild(document.createTextNode(" "));
      a.appendChild(why);
      li.appendChild(a);
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  function search() {
    var q = input.value.trim().toLowerCase();
    if (!q) { show([], ""); return; }
    withIndex(function () {
      if (input.value.trim().toLowerCase() !== q) { search(); return; }
      var hits = [];
      var all = window.metacrawlSearch || [];
      for (var i = 0; i < all.length; i++) {
        var r = rank(q, all[i]);
        if (r) hits.push({ score: r[0], why: r[1], entry: all[i] });
      }
      hits.sort(function (x, y) {
        return x.score - y.score || x.entry[1].length - y.entry[1].length ||
          (x.entry[0] + "." + x.entry[1] < y.entry[0] + "." + y.entry[1] ? -1 : 1);
      });
      show(hits.slice(0, LIMIT), input.value.trim());
    });
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 120);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var first = box.querySelector("a");
    if (first) window.location.href = first.href;
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { input.value = ""; show([], ""); }
  });
})();
