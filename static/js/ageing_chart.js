// Stacked bars of stock value by age bucket, per warehouse and per category (ageing report).
(function () {
  "use strict";
  var COLOURS = ["#2e7d32", "#9e9d24", "#f9a825", "#ef6c00", "#c62828"];

  function draw(canvasId, series, buckets, valueLabel) {
    var canvas = document.getElementById(canvasId);
    if (!canvas || !window.Chart) {
      return;
    }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: series.labels,
        datasets: buckets.map(function (bucket, i) {
          return { label: bucket, data: series.values[i], backgroundColor: COLOURS[i] };
        }),
      },
      options: {
        responsive: true,
        scales: {
          x: { stacked: true },
          y: { stacked: true, title: { display: true, text: valueLabel } },
        },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("ageing-chart-data");
    if (!node) {
      return;
    }
    var chart = JSON.parse(node.textContent);
    draw("ageing-by-warehouse", chart.by_warehouse, chart.buckets, chart.value_label);
    draw("ageing-by-category", chart.by_category, chart.buckets, chart.value_label);
  });
})();
