// Template editor: when a field gets its Chinese name and has no code yet, fill in the pinyin code the server suggests.
(function () {
  var script = document.getElementById("pd-template-keys");
  document.addEventListener("change", function (event) {
    var label = event.target;
    if (!label.name || !/-label$/.test(label.name)) { return; }
    var key = document.getElementsByName(label.name.replace(/-label$/, "-key"))[0];
    if (!key || key.value.trim() || !label.value.trim()) { return; }
    var prefix = label.name.split("-")[0] + "-", taken = [];
    document.querySelectorAll("input[name$='-key']").forEach(function (other) {
      if (other.name.indexOf(prefix) === 0 && other.value.trim()) { taken.push("taken=" + encodeURIComponent(other.value.trim())); }
    });
    fetch(script.dataset.url + "?label=" + encodeURIComponent(label.value) + "&" + taken.join("&"), {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) { if (!key.value.trim()) { key.value = data.key; } });
  });
})();
