// Draws every chart of the page. Each chart is an element with class
// "chart" whose data-option attribute holds the ECharts option as JSON
// (built on the server by go-echarts). Kept in a file because the
// Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";

  function notice() {
    if (document.getElementById("charts-missing")) return;
    var p = document.createElement("p");
    p.className = "alert alert-warn";
    p.id = "charts-missing";
    p.setAttribute("role", "status");
    p.textContent = "chart library not built: run make assets";
    var main = document.querySelector("main");
    if (main) main.parentNode.insertBefore(p, main);
  }

  function draw() {
    var els = document.querySelectorAll(".chart[data-option]");
    if (!els.length) return;
    if (typeof window.echarts === "undefined") {
      notice();
      return;
    }
    var charts = [];
    els.forEach(function (el) {
      var option;
      try {
        option = JSON.parse(el.getAttribute("data-option"));
      } catch (e) {
        el.textContent = "This chart could not be read.";
        el.classList.add("chart-failed");
        return;
      }
      // Tooltips drawn on the canvas: HTML tooltips carry inline styles
      // that the Content-Security-Policy refuses.
      if (option.tooltip) option.tooltip.renderMode = "richText";
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option);
      el.setAttribute("data-drawn", "true");
      charts.push(chart);
    });
    var pending = 0;
    window.addEventListener("resize", function () {
      if (pending) return;
      pending = window.setTimeout(function () {
        pending = 0;
        charts.forEach(function (c) { c.resize(); });
      }, 100);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
