/* Monthly annualised turnover against the healthy band (data from json_script). */
(function () {
  function draw() {
    var source = document.getElementById("turnover-trend-data");
    var canvas = document.getElementById("turnover-trend");
    if (!source || !canvas || !window.Chart) { return; }
    var d = JSON.parse(source.textContent);
    var flat = function (v) { return d.labels.map(function () { return v; }); };
    if (canvas._chart) { canvas._chart.destroy(); }
    canvas._chart = new window.Chart(canvas, {
      type: "line",
      data: {
        labels: d.labels,
        datasets: [
          { label: d.label_turnover, data: d.annualised, borderColor: "#0d6efd", spanGaps: false, tension: 0.2 },
          { label: d.label_min, data: flat(d.band_min), borderColor: "#fd7e14", borderDash: [6, 4], pointRadius: 0 },
          { label: d.label_max, data: flat(d.band_max), borderColor: "#dc3545", borderDash: [6, 4], pointRadius: 0 }
        ]
      },
      options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true } } }
    });
  }
  window.stockwiseTurnoverChart = draw;
  document.addEventListener("DOMContentLoaded", draw);
})();
