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
  // Printing unfolds what is folded away, except tables too long for paper (they stay one
  // line: the page on screen has them).
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) {
      if (d.querySelectorAll("tr").length <= 1000) { d.open = true; }
    });
  });
})();
