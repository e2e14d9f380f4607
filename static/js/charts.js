/*
 * Charts from server-rendered configs.
 *
 * Markup (templates/includes/chart.html):
 *   <canvas data-chart="my-chart"></canvas>
 *   {{ config|json_script:"my-chart" }}
 *
 * The config is a Chart.js config ({type, data, options}) in plain JSON plus an optional
 * "kam" key for what JSON cannot express:
 *   number     Intl.NumberFormat options for values (default: up to 2 decimals)
 *   axes       {x: {...}, y: {...}} Intl options per axis, overriding "number"
 *   size       {label, number} the bubble's size figure for tooltips (bubble charts)
 *   quadrants  [{label, x: [from, to], y: [from, to], color}] shaded areas with a name
 *   urls       one link per label (line and bar); a bubble point links through its "url"
 * A bubble point with a "number" shows it on the bubble (a numbered legend on the page).
 * Numbers follow <html lang>, so German shows 1.234,56. With prefers-reduced-motion nothing
 * is animated. Pages without a canvas[data-chart] load nothing: Chart.js itself is fetched
 * from the URL in this script's data-chartjs attribute when the first chart appears.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  const chartjsUrl = script && script.dataset.chartjs;
  let loading = null;

  function loadChartJs() {
    if (window.Chart) return Promise.resolve(window.Chart);
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        const tag = document.createElement("script");
        tag.src = chartjsUrl;
        tag.onload = function () { resolve(window.Chart); };
        tag.onerror = function () { reject(new Error("Chart.js could not be loaded from " + chartjsUrl)); };
        document.head.appendChild(tag);
      });
    }
    return loading;
  }

  function language() {
    return document.documentElement.lang || undefined;
  }

  function formatter(options) {
    const format = new Intl.NumberFormat(language(), options || { maximumFractionDigits: 2 });
    return function (value) {
      return value === null || value === undefined || Number.isNaN(Number(value))
        ? "–"
        : format.format(Number(value));
    };
  }

  function reducedMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function axisTitle(chart, axis) {
    const scale = chart.options.scales && chart.options.scales[axis];
    return (scale && scale.title && scale.title.text) || axis;
  }

  // Shaded quadrants with their names, drawn under the data (e.g. the portfolio matrix).
  const quadrantPlugin = {
    id: "kamQuadrants",
    beforeDatasetsDraw: function (chart, args, pluginOptions) {
      const quadrants = (pluginOptions && pluginOptions.quadrants) || [];
      if (!quadrants.length) return;
      const x = chart.scales.x;
      const y = chart.scales.y;
      const ctx = chart.ctx;
      ctx.save();
      quadrants.forEach(function (q) {
        const left = x.getPixelForValue(q.x[0]);
        const right = x.getPixelForValue(q.x[1]);
        const top = y.getPixelForValue(q.y[1]);
        const bottom = y.getPixelForValue(q.y[0]);
        ctx.fillStyle = q.color || "rgba(0, 0, 0, 0.03)";
        ctx.fillRect(left, top, right - left, bottom - top);
        ctx.fillStyle = "#495057";
        ctx.font = "600 12px " + window.Chart.defaults.font.family;
        ctx.textBaseline = "top";
        ctx.textAlign = q.x[0] <= x.min ? "left" : "right";
        ctx.fillText(q.label, q.x[0] <= x.min ? left + 6 : right - 6, q.y[0] <= y.min ? bottom - 18 : top + 6);
      });
      ctx.restore();
    },
  };

  // The number of each bubble that has one ({number} in its point), drawn on the bubble, so
  // the page's numbered legend names it (e.g. the portfolio matrix).
  const numberPlugin = {
    id: "kamNumbers",
    afterDatasetsDraw: function (chart) {
      const ctx = chart.ctx;
      ctx.save();
      ctx.fillStyle = "#212529";
      ctx.font = "600 11px " + window.Chart.defaults.font.family;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      chart.data.datasets.forEach(function (dataset, i) {
        const meta = chart.getDatasetMeta(i);
        if (meta.hidden) return;
        meta.data.forEach(function (element, j) {
          const raw = dataset.data[j];
          if (raw && typeof raw === "object" && raw.number != null) {
            ctx.fillText(String(raw.number), element.x, element.y);
          }
        });
      });
      ctx.restore();
    },
  };

  function build(config) {
    const kam = config.kam || {};
    delete config.kam;
    const options = config.options || (config.options = {});
    const value = formatter(kam.number);
    const axes = kam.axes || {};
    options.locale = language();
    options.responsive = true;
    options.maintainAspectRatio = false;
    if (reducedMotion()) options.animation = false;

    // Line and bar charts have a category axis (months, names) and a value axis.
    const points = config.type === "bubble" || config.type === "scatter";
    const indexAxis = options.indexAxis || "x";
    const valueAxis = indexAxis === "x" ? "y" : "x";
    options.scales = options.scales || {};
    ["x", "y"].forEach(function (axis) {
      const scale = options.scales[axis] || (options.scales[axis] = {});
      if (scale.type === "category" || (!points && axis === indexAxis)) return;
      const format = axes[axis] ? formatter(axes[axis]) : value;
      scale.ticks = scale.ticks || {};
      scale.ticks.callback = function (tick) { return format(tick); };
    });

    const plugins = options.plugins || (options.plugins = {});
    const tooltip = plugins.tooltip || (plugins.tooltip = {});
    tooltip.callbacks = tooltip.callbacks || {};
    if (points) {
      const formatX = axes.x ? formatter(axes.x) : value;
      const formatY = axes.y ? formatter(axes.y) : value;
      const size = kam.size || {};
      const formatSize = formatter(size.number);
      tooltip.callbacks.title = function (items) { return items.length ? items[0].raw.label : ""; };
      tooltip.callbacks.label = function (item) {
        const lines = [
          axisTitle(item.chart, "x") + ": " + formatX(item.raw.x),
          axisTitle(item.chart, "y") + ": " + formatY(item.raw.y),
        ];
        if (size.label) lines.push(size.label + ": " + formatSize(item.raw.size));
        return lines;
      };
    } else {
      const formatValue = axes[valueAxis] ? formatter(axes[valueAxis]) : value;
      tooltip.callbacks.label = function (item) {
        const name = item.dataset.label ? item.dataset.label + ": " : "";
        return name + formatValue(item.parsed[valueAxis]);
      };
    }

    function linkOf(element) {
      const raw = config.data.datasets[element.datasetIndex].data[element.index];
      if (raw && typeof raw === "object" && raw.url) return raw.url;
      return kam.urls ? kam.urls[element.index] : null;
    }
    options.onClick = function (event, elements) {
      const url = elements.length && linkOf(elements[0]);
      if (url) window.location.assign(url);
    };
    options.onHover = function (event, elements) {
      event.native.target.style.cursor = elements.length && linkOf(elements[0]) ? "pointer" : "";
    };

    plugins.kamQuadrants = { quadrants: kam.quadrants || [] };
    config.plugins = (config.plugins || []).concat([quadrantPlugin, numberPlugin]);
    return config;
  }

  function render(root) {
    const canvases = (root || document).querySelectorAll("canvas[data-chart]");
    if (!canvases.length) return;
    loadChartJs().then(function (Chart) {
      // Charts whose canvas an htmx swap removed are released before new ones are drawn.
      Object.values(Chart.instances).forEach(function (chart) {
        if (!chart.canvas.isConnected) chart.destroy();
      });
      canvases.forEach(function (canvas) {
        if (Chart.getChart(canvas)) return;
        const source = document.getElementById(canvas.dataset.chart);
        if (!source) {
          console.error("No chart config with id " + canvas.dataset.chart);
          return;
        }
        new Chart(canvas, build(JSON.parse(source.textContent)));
        canvas.dataset.chartReady = "true";
      });
    }).catch(function (error) { console.error(error.message); });
  }

  window.kamCharts = { render: render };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { render(document); });
  } else {
    render(document);
  }
  // After an htmx swap the whole document is searched: with outerHTML the event's target is
  // the replaced element, and charts already drawn are skipped.
  document.addEventListener("htmx:afterSettle", function () { render(document); });
})();
