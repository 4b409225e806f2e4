// Light progressive enhancement: charts (plotly.js) and evidence links that scroll to and highlight the turn.
(function () {
  function drawCharts() {
    if (!window.Plotly) { return; }
    document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      var spec = JSON.parse(el.getAttribute("data-chart"));
      window.Plotly.newPlot(el, spec.data, spec.layout, {displayModeBar: false, responsive: true});
    });
  }
  function lightTurn(turn, span) {
    var el = document.getElementById("turn-" + turn);
    if (!el) { return; }
    document.querySelectorAll(".flash-target").forEach(function (t) { t.classList.remove("flash-target"); });
    el.classList.add("flash-target");
    el.scrollIntoView({behavior: "smooth", block: "center"});
    if (span) {
      el.querySelectorAll("mark").forEach(function (m) { m.classList.add("lit"); });
    }
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.evidence, a.time");
    if (!link) { return; }
    var turn = link.getAttribute("data-turn") || (link.getAttribute("href") || "").replace("#turn-", "");
    if (turn === "") { return; }
    event.preventDefault();
    history.replaceState(null, "", "#turn-" + turn);
    lightTurn(turn, link.getAttribute("data-span"));
  });
  window.addEventListener("load", function () {
    drawCharts();
    var m = location.hash.match(/^#turn-(\d+)$/);
    if (m) { lightTurn(m[1]); }
  });
})();
