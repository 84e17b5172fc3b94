// Draw the dashboard's charts from the JSON the page carries; a click on a bar or slice opens its filtered list.
(function () {
  var data = document.getElementById("pd-chart-data");
  if (!data || !window.echarts) { return; }
  var charts = JSON.parse(data.textContent);
  var colours = ["#c0392b", "#e67e22", "#2e86c1", "#27ae60", "#8e44ad", "#7f8c8d"];
  function option(chart) {
    if (chart.kind === "pie") {
      return {color: ["#c0392b", "#27ae60"], tooltip: {trigger: "item"}, series: [{type: "pie", radius: ["30%", "55%"],
        label: {formatter: "{b}\n{c}", overflow: "none"}, cursor: "pointer",
        data: chart.labels.map(function (name, i) { return {name: name, value: chart.values[i]}; })}]};
    }
    var categories = {type: "category", data: chart.labels, axisLabel: {interval: 0, width: 120, overflow: "truncate"}};
    var values = {type: "value", minInterval: 1, max: chart.unit === "%" ? 100 : null};
    var horizontal = chart.kind === "hbar";
    var label = {show: true, position: horizontal ? "right" : "top", formatter: "{c}" + chart.unit};
    if (horizontal) { categories.inverse = true; }
    return {tooltip: {trigger: "axis"}, grid: {left: horizontal ? 130 : 40, right: 40, top: horizontal ? 10 : 25, bottom: 30},
      xAxis: horizontal ? values : categories, yAxis: horizontal ? categories : values,
      series: [{type: "bar", data: chart.values, label: label, cursor: "pointer",
        itemStyle: {color: function (p) { return colours[p.dataIndex % colours.length]; }}}]};
  }
  document.querySelectorAll(".pd-chart").forEach(function (box) {
    var chart = charts[Number(box.dataset.chart)];
    // A ring of nothing would draw two equal halves: an all-zero pie is left to the figures listed under it.
    if (!chart.labels.length || (chart.kind === "pie" && !chart.values.some(function (v) { return v > 0; }))) { return; }
    var drawn = echarts.init(box, null, {renderer: "svg", locale: "ZH"});
    drawn.setOption(option(chart));
    drawn.on("click", function (p) { if (chart.links[p.dataIndex]) { window.location.href = chart.links[p.dataIndex]; } });
    window.addEventListener("resize", function () { drawn.resize(); });
  });
})();
