// The overview: sort by a column (click its header), filter by verdict, share, likes and id.
(function () {
  var table = document.getElementById("overview");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var heads = table.tHead.rows[0].cells;
  var count = document.getElementById("f-count");
  function value(row, i, kind) {
    var cell = row.cells[i];
    return kind === "number" ? parseFloat(cell.getAttribute("data-v")) : cell.textContent.toLowerCase();
  }
  Array.prototype.forEach.call(heads, function (head, i) {
    head.addEventListener("click", function () {
      var kind = head.getAttribute("data-sort");
      var down = head.getAttribute("aria-sort") !== "descending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      head.setAttribute("aria-sort", down ? "descending" : "ascending");
      rows.sort(function (a, b) {
        var x = value(a, i, kind), y = value(b, i, kind);
        return (x < y ? -1 : x > y ? 1 : 0) * (down ? -1 : 1);
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  var verdict = document.getElementById("f-verdict");
  var share = document.getElementById("f-share");
  var likes = document.getElementById("f-likes");
  var id = document.getElementById("f-id");
  var shareColumn = -1, likesColumn = -1;
  Array.prototype.forEach.call(heads, function (head, i) {
    if (head.textContent.indexOf("inauthentic") === 0) shareColumn = i;
    if (head.textContent === "likes") likesColumn = i;
  });
  function filter() {
    var v = verdict.value, s = (parseFloat(share.value) || 0) / 100;
    var l = parseFloat(likes.value) || 0, text = id.value.toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var keep = (!v || row.getAttribute("data-verdict") === v) &&
        value(row, shareColumn, "number") >= s - 1e-12 &&
        value(row, likesColumn, "number") >= l &&
        (!text || row.cells[0].textContent.toLowerCase().indexOf(text) >= 0);
      row.hidden = !keep;
      if (keep) shown += 1;
    });
    count.textContent = shown + " of " + rows.length + " shown";
  }
  [verdict, share, likes, id].forEach(function (input) { input.addEventListener("input", filter); });
  filter();
  // for a reader of the page and for the browser test: every chart laid out with a size
  var drawn = 0;
  Array.prototype.forEach.call(document.querySelectorAll("svg.chart"), function (svg) {
    var box = svg.getBoundingClientRect();
    if (box.width > 0 && box.height > 0 && svg.childElementCount > 0) drawn += 1;
  });
  document.documentElement.setAttribute("data-charts-drawn", String(drawn));
  document.documentElement.setAttribute("data-ready", "1");
})();
