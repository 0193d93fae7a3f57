/* The dispute statistics page's chart: cases taken in and successful by type, from the page's
   json_script block (no inline script: CSP). The tables beside it carry the same figures. */
(function () {
  "use strict";
  const node = document.getElementById("dispute-stats-chart");
  const source = document.getElementById("dispute-stats-data");
  if (!node || !source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const chart = echarts.init(node);
  const colors = ["#1f5fa8", "#2e9e5b"];
  chart.setOption({
    color: colors,
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 36, bottom: 90 },
    xAxis: {
      type: "category",
      data: data.names,
      axisLabel: { interval: 0, rotate: data.names.length > 8 ? 40 : 0 },
    },
    yAxis: { type: "value", minInterval: 1 },
    series: data.series.map((s) => ({ name: s.name, type: "bar", data: s.data, barMaxWidth: 28 })),
  });
  window.addEventListener("resize", () => chart.resize());
})();
