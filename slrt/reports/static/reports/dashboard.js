// The dashboard's charts (Chart.js, from npm, served by the app). Each chart is drawn from the rows
// of the table beside it, which stays the source of truth: a row carries its label (data-label),
// its charted number (data-value) and the list of exactly those records (data-href). A click on
// a bar or point, or on a row outside its links, opens that list. No inline script (CSP).
(function () {
  "use strict";
  var BRAND = "#0b5563";
  var BRAND_SOFT = "rgba(11, 85, 99, .15)";

  function chartRows(table) {
    return Array.prototype.filter.call(table.tBodies[0].rows, function (row) {
      return row.hasAttribute("data-value") && row.getAttribute("data-value") !== "";
    });
  }

  // A long name (an agency, "Kec. X, Kabupaten Y") is cut on the axis; the tooltip and the table
  // beside the chart keep it whole.
  function shortLabel(value) {
    var label = String(this.getLabelForValue(value));
    return label.length > 32 ? label.slice(0, 31) + "…" : label;
  }

  function draw(canvas) {
    var table = document.getElementById(canvas.getAttribute("data-chart-for"));
    if (!table) return;
    var rows = chartRows(table);
    if (!rows.length) return;
    var kind = table.getAttribute("data-chart") === "line" ? "line" : "bar";
    var horizontal = kind === "bar";  // long names (agencies, desa) read best along the y axis
    var figure = canvas.closest("figure");
    figure.hidden = false;
    if (horizontal) canvas.parentNode.style.height = Math.max(160, rows.length * 32 + 56) + "px";
    var hrefOf = function (elements) {
      return elements.length ? rows[elements[0].index].getAttribute("data-href") : null;
    };
    new window.Chart(canvas, {
      type: kind,
      data: {
        labels: rows.map(function (r) { return r.getAttribute("data-label"); }),
        datasets: [{
          label: table.getAttribute("data-chart-title") || "",
          data: rows.map(function (r) { return parseFloat(r.getAttribute("data-value")); }),
          backgroundColor: kind === "line" ? BRAND_SOFT : BRAND,
          borderColor: BRAND,
          borderWidth: kind === "line" ? 2 : 0,
          fill: kind === "line",
          pointRadius: 4,
          pointHitRadius: 12,
          maxBarThickness: 28,
        }],
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 } },
          y: { beginAtZero: true, ticks: horizontal ? { callback: shortLabel } : { precision: 0 } },
        },
        onClick: function (event, elements) {
          var href = hrefOf(elements);
          if (href) window.location.assign(href);
        },
        onHover: function (event, elements) {
          event.native.target.style.cursor = hrefOf(elements) ? "pointer" : "default";
        },
      },
    });
    canvas.setAttribute("data-drawn", "");
  }

  if (window.Chart) {
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.color = "#4f5b69";
    document.querySelectorAll("canvas[data-chart-for]").forEach(draw);
    document.documentElement.classList.add("dash-js");
  }

  // A row with a list opens it on a click anywhere but its own links (they lead elsewhere too:
  // the region's name to its dashboard).
  document.addEventListener("click", function (e) {
    if (e.defaultPrevented || e.button !== 0 || e.target.closest("a, button, input, select, label")) return;
    var row = e.target.closest("table[data-dash] tr[data-href]");
    if (row) window.location.assign(row.getAttribute("data-href"));
  });
})();
