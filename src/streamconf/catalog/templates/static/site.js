// The index's filters and sortable columns. Without JavaScript the table is complete and in
// name order; this only narrows and reorders it.
(function () {
  "use strict";
  var table = document.getElementById("streams");
  var form = document.querySelector(".filters");
  if (!table || !form) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var text = document.getElementById("filter-text");
  var owner = document.getElementById("filter-owner");
  var service = document.getElementById("filter-service");
  var shown = document.getElementById("shown");
  form.hidden = false;
  form.addEventListener("submit", function (event) { event.preventDefault(); });

  function filter() {
    var words = text.value.toLowerCase().split(/\s+/).filter(Boolean);
    var count = 0;
    rows.forEach(function (row) {
      var visible = words.every(function (word) { return row.dataset.text.indexOf(word) !== -1; }) &&
        (!owner.value || row.dataset.owner === owner.value) &&
        (!service.value || row.dataset.service === service.value);
      row.hidden = !visible;
      if (visible) { count += 1; }
    });
    shown.textContent = count === rows.length ? rows.length + " streams" : count + " of " + rows.length + " streams shown";
  }
  [text, owner, service].forEach(function (control) {
    control.addEventListener("input", filter);
    control.addEventListener("change", filter);
  });

  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  headers.forEach(function (header, column) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = header.textContent;
    header.textContent = "";
    header.appendChild(button);
    button.addEventListener("click", function () { sort(column, header); });
  });

  function cellValue(row, column, numeric) {
    var content = row.cells[column].textContent.trim();
    return numeric ? parseFloat(content) || 0 : content.toLowerCase();
  }

  function sort(column, header) {
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var numeric = header.dataset.sort === "number";
    headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var x = cellValue(a, column, numeric), y = cellValue(b, column, numeric);
      var order = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  filter();
}());
