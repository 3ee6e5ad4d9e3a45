"use strict";
(function () {
  // Filtering is an addition: without script every row is shown.
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-filter"));
    if (!table) { return; }
    input.parentNode.hidden = false;
    var rows = table.tBodies[0].rows;
    input.addEventListener("input", function () {
      var q = input.value.toLowerCase();
      for (var i = 0; i < rows.length; i++) {
        rows[i].hidden = q !== "" && rows[i].textContent.toLowerCase().indexOf(q) < 0;
      }
    });
  });
  // Printing shows what is folded away, up to a page count a printer can take.
  window.addEventListener("beforeprint", function () {
    var all = document.querySelectorAll("details");
    if (all.length > 2000) { return; }
    all.forEach(function (d) { d.open = true; });
  });
})();
