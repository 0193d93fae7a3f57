// Sorts a table[data-sortable] by the clicked column: numbers (data-value, else the text) or text.
(function () {
  "use strict";
  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, index) {
      th.style.cursor = "pointer";
      th.setAttribute("tabindex", "0");
      var sort = function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var down = th.getAttribute("aria-sort") !== "descending";
        var value = function (row) {
          var cell = row.cells[index];
          if (!cell) return "";
          var raw = cell.getAttribute("data-value") || cell.textContent.trim();
          var n = parseFloat(raw.replace(/[%,]/g, ""));
          return isNaN(n) ? raw : n;
        };
        rows.sort(function (a, b) {
          var x = value(a), y = value(b);
          var c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "zh");
          return down ? -c : c;
        });
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", down ? "descending" : "ascending");
        rows.forEach(function (row) { body.appendChild(row); });
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
    });
  });
})();
