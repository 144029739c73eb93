// The field tree: filter rows as one types, and put a picked path into a mapping row.
(function () {
  var filter = document.getElementById("tree-filter");
  var status = document.getElementById("tree-status");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#field-tree tbody tr"));
  var last = null;
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches('input[list="xdm-paths"]')) last = event.target;
  });
  filter.addEventListener("input", function () {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search");
      var match = words.every(function (w) { return text.indexOf(w) !== -1; });
      row.hidden = !match;
      if (match) shown += 1;
    });
    status.textContent = shown + " of " + rows.length + " fields";
  });
  document.getElementById("field-tree").addEventListener("click", function (event) {
    var button = event.target.closest("button.pick");
    if (!button) return;
    var inputs = Array.prototype.slice.call(document.querySelectorAll('input[list="xdm-paths"]'));
    var target = last || inputs.filter(function (i) { return !i.value; })[0] || inputs[inputs.length - 1];
    if (!target) { status.textContent = "Add a Send Beacon action first."; return; }
    target.value = button.getAttribute("data-path");
    target.focus();
    status.textContent = "Path " + target.value + " put in the mapping.";
  });
})();
