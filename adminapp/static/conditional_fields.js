// Pledge form: a template field shows only while its conditions hold (the member's category, another field's value).
// A hidden field is disabled, so it neither blocks the browser's checks nor is sent; the server applies the same rule.
(function () {
  var form = document.getElementById("pd-pledge-form");
  if (!form) { return; }
  var categories = JSON.parse(form.dataset.categories || "[]");
  var rows = {};
  form.querySelectorAll("[data-pd-row]").forEach(function (row) { rows[row.dataset.pdRow] = row; });

  function chosen(row) {
    var inputs = row.querySelectorAll("input, select");
    if (row.dataset.pdType === "bool") { return [inputs[0] && inputs[0].checked ? "是" : "否"]; }
    var values = [];
    inputs.forEach(function (input) {
      if (input.type === "checkbox" ? input.checked : input.value) { values.push(input.value); }
    });
    return values;
  }

  function applies(row, depth) {
    var wanted = JSON.parse(row.dataset.pdCategories || "[]");
    if (wanted.length && !wanted.some(function (c) { return categories.indexOf(c) >= 0; })) { return false; }
    if (!row.dataset.pdField) { return true; }
    var control = rows[row.dataset.pdField];
    if (!control || depth > 20 || !applies(control, depth + 1)) { return false; }
    var values = JSON.parse(row.dataset.pdValues || "[]");
    return chosen(control).some(function (v) { return values.indexOf(v) >= 0; });
  }

  function update() {
    Object.keys(rows).forEach(function (key) {
      var row = rows[key], shown = applies(row, 0);
      row.hidden = !shown;
      row.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !shown; });
    });
    form.querySelectorAll("fieldset").forEach(function (set) {
      var own = set.querySelectorAll("[data-pd-row]");
      if (own.length) { set.hidden = !Array.prototype.some.call(own, function (row) { return !row.hidden; }); }
    });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
