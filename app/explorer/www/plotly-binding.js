// Shiny output binding for explorer.plotly_output: draws the server's figure JSON with Plotly.react.
// plotly.js is loaded on demand (first plot, or once the page is idle after its first outputs).
(function () {
  let plotlyLoading = null;
  function loadPlotly(src) {
    if (window.Plotly) return Promise.resolve();
    if (!plotlyLoading) {
      plotlyLoading = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = src;
        script.onload = resolve;
        script.onerror = () => reject(new Error("could not load " + src));
        document.head.appendChild(script);
      });
    }
    return plotlyLoading;
  }
  function anySource() {
    const el = document.querySelector(".lmm-plotly[data-plotly-src]");
    return el ? el.dataset.plotlySrc : null;
  }

  // A plot image is named by what it shows and the model: "residuals-vs-fitted_Biomass~Temp+N+(1+Temp_Site)".
  function safeName(text) {
    return text.replace(/[^A-Za-z0-9~+()._,=^-]+/g, "_").replace(/_+/g, "_").replace(/^_|_$/g, "");
  }
  function plainTitle(layout) {
    const title = layout && layout.title;
    const raw = (typeof title === "string" ? title : (title && title.text) || "plot").split(/<br\s*\/?>/i)[0];
    const decoded = new DOMParser().parseFromString(raw, "text/html").body.textContent || "plot";
    return decoded.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "plot";
  }
  function imageName(layout) {
    const formula = document.getElementById("model-formula");
    const model = formula && formula.value ? "_" + formula.value.replace(/\s+/g, "") : "";
    return safeName(plainTitle(layout) + model).slice(0, 150) || "plot";
  }
  // No data leaves the server: no cloud "Share chart" / "Edit in Chart Studio" and no link to a plotly host;
  // download, zoom and pan stay.
  function plotConfig(layout) {
    return {
      responsive: true,
      displaylogo: false,
      showLink: false,
      showSendToCloud: false,
      showEditInChartStudio: false,
      plotlyServerURL: "",
      modeBarButtonsToRemove: ["sendChartToCloud", "sendDataToCloud", "editInChartStudio"],
      toImageButtonOptions: { format: "png", filename: imageName(layout), scale: 2 },
    };
  }
  window.lmmPlotConfig = plotConfig;

  const binding = new Shiny.OutputBinding();
  $.extend(binding, {
    find: (scope) => $(scope).find(".lmm-plotly"),
    renderValue: (el, data) => {
      const canvas = el.querySelector(".lmm-plotly-canvas");
      return loadPlotly(el.dataset.plotlySrc).then(() => {
        if (!data) {
          Plotly.purge(canvas);
          el.dataset.fit = "";
          return;
        }
        const fig = JSON.parse(data.figure);
        // The placeholder's height until the first draw; then the figure's own (no gap under a short one).
        canvas.style.minHeight = fig.layout.height ? fig.layout.height + "px" : "";
        const config = plotConfig(fig.layout);
        return Plotly.react(canvas, fig.data, fig.layout, config).then(() => {
          el.dataset.fit = data.fit;
          window.lmmRenders = window.lmmRenders || [];
          window.lmmRenders.push({ id: el.id, fit: data.fit, t: performance.now() });
        });
      });
    },
    renderError: (el) => {
      if (window.Plotly) Plotly.purge(el.querySelector(".lmm-plotly-canvas"));
      el.dataset.fit = "";
    },
    clearError: () => {},
  });
  Shiny.outputBindings.register(binding, "lmm.plotly");

  $(document).one("shiny:idle", () => {
    const src = anySource();
    if (src) setTimeout(() => loadPlotly(src), 0);
  });
  // Plots drawn in a hidden tab have the wrong width: resize when a tab is shown.
  $(document).on("shown.bs.tab", () => {
    if (!window.Plotly) return;
    document.querySelectorAll(".lmm-plotly .js-plotly-plot").forEach((p) => Plotly.Plots.resize(p));
  });
})();
