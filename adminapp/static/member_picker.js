// The member picker on 新建公开承诺: ask the server for matches as the clerk types (at most a page of them).
(function () {
  var form = document.getElementById("pd-member-picker");
  if (!form) { return; }
  var box = document.getElementById("pd-member-q"), within = document.getElementById("pd-member-in"),
      pick = document.getElementById("pd-member-pick"), hint = document.getElementById("pd-member-hint"), timer = null;
  function show(data) {
    pick.innerHTML = "";
    data.results.forEach(function (r, i) {
      var option = document.createElement("option");
      option.value = r.value;
      option.textContent = r.label;
      option.selected = i === 0;
      pick.appendChild(option);
    });
    hint.textContent = !data.results.length ? "没有找到匹配的在册党员。" :
      (data.results.length >= data.limit ? "只显示前 " + data.limit + " 个匹配，请多输入几个字或选择所属组织。" : "");
  }
  function search() {
    if (!box.value.trim()) { return; }
    var url = form.dataset.url + "?q=" + encodeURIComponent(box.value) + "&in=" + encodeURIComponent(within.value);
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(show);
  }
  function later() { clearTimeout(timer); timer = setTimeout(search, 250); }
  box.addEventListener("input", later);
  within.addEventListener("change", later);
})();
