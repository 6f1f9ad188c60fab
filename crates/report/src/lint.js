"use strict";
// Filters the findings as you type: every row whose text holds every word typed stays.
(function () {
  var input = document.getElementById("finding-filter");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#finding-table tbody tr"));
  var shown = document.getElementById("shown");
  function apply() {
    var words = input.value.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
    var count = 0;
    rows.forEach(function (row) {
      var text = row.textContent.toLowerCase();
      var keep = words.every(function (w) { return text.indexOf(w) >= 0; });
      row.hidden = !keep;
      if (keep) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " findings shown";
  }
  input.addEventListener("input", apply);
  apply();
})();
