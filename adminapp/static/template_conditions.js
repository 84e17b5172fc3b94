// Template editor: a field's "shown when another field has a value" box offers the choice and yes/no fields now on
// the page, fields added since the last save included (the server's check refuses a wrong choice beside the field).
(function () {
  var KINDS = ["choice", "multi", "bool"];  // documents/template.py CONTROL_TYPES

  function fieldsOnPage() {
    var found = [];
    document.querySelectorAll("select[name^='fields-'][name$='-type']").forEach(function (type) {
      var prefix = type.name.replace(/-type$/, "-");
      var key = document.getElementsByName(prefix + "key")[0], label = document.getElementsByName(prefix + "label")[0];
      if (KINDS.indexOf(type.value) >= 0 && key && key.value.trim()) {
        found.push({prefix: prefix, key: key.value.trim(), label: (label && label.value.trim()) || key.value.trim()});
      }
    });
    return found;
  }

  function refresh(select) {
    var own = select.name.replace(/-show_field$/, "-"), current = select.value;
    var blank = select.options[0] ? select.options[0].text : "—";
    while (select.options.length) { select.remove(0); }
    select.add(new Option(blank, ""));
    fieldsOnPage().forEach(function (field) {
      if (field.prefix !== own) { select.add(new Option(field.label + "（" + field.key + "）", field.key)); }
    });
    if (current && !Array.prototype.some.call(select.options, function (o) { return o.value === current; })) {
      select.add(new Option(current, current));
    }
    select.value = current;
  }

  document.addEventListener("focusin", function (event) {
    if (event.target.name && /^fields-\d+-show_field$/.test(event.target.name)) { refresh(event.target); }
  });
  document.addEventListener("mousedown", function (event) {
    if (event.target.name && /^fields-\d+-show_field$/.test(event.target.name)) { refresh(event.target); }
  });
})();
