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
        const config = { responsive: true, displaylogo: false };
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
