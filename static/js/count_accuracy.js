// IRA by month: one line per ABC class and one for all classes (values in %).
(function () {
  const data = JSON.parse(document.getElementById("ira-data").textContent);
  const names = document.getElementById("ira-labels").dataset;
  const colours = { A: "#dc3545", B: "#fd7e14", C: "#0d6efd", all: "#212529" };
  const datasets = Object.keys(data.series).map((key) => ({
    label: key === "all" ? names.all : `${names.class} ${key}`,
    data: data.series[key],
    borderColor: colours[key],
    backgroundColor: colours[key],
    borderWidth: key === "all" ? 3 : 2,
    spanGaps: true,
  }));
  new Chart(document.getElementById("ira-chart"), {
    type: "line",
    data: { labels: data.labels, datasets },
    options: {
      maintainAspectRatio: false,
      scales: { y: { min: 0, max: 100, ticks: { callback: (v) => `${v} %` } } },
      plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${c.parsed.y} %` } } },
    },
  });
})();
