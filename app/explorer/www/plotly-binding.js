// Shiny output binding for explorer.plotly_output: draws the server's figure JSON with Plotly.react.
(function () {
  const binding = new Shiny.OutputBinding();
  $.extend(binding, {
    find: (scope) => $(scope).find(".lmm-plotly"),
    renderValue: (el, data) => {
      const canvas = el.querySelector(".lmm-plotly-canvas");
      if (!data) {
        Plotly.purge(canvas);
        return;
      }
      const fig = JSON.parse(data.figure);
      const config = { responsive: true, displaylogo: false };
      Plotly.react(canvas, fig.data, fig.layout, config).then(() => {
        el.dataset.fit = data.fit;
        window.lmmRenders = window.lmmRenders || [];
        window.lmmRenders.push({ id: el.id, fit: data.fit, t: performance.now() });
      });
    },
    renderError: (el, err) => {
      Plotly.purge(el.querySelector(".lmm-plotly-canvas"));
      el.dataset.fit = "";
    },
    clearError: () => {},
  });
  Shiny.outputBindings.register(binding, "lmm.plotly");
  // Plots drawn in a hidden tab have the wrong width: resize when a tab is shown.
  $(document).on("shown.bs.tab", () => {
    document.querySelectorAll(".lmm-plotly .js-plotly-plot").forEach((p) => Plotly.Plots.resize(p));
  });
})();
