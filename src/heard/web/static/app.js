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
// The supervisor's live view: poll the live calls every second and redraw the table.
(function () {
  var table = document.querySelector("[data-live-feed]");
  if (!table) { return; }
  var body = table.querySelector("tbody");
  function cell(text, cls) { var td = document.createElement("td"); td.textContent = text; if (cls) { td.className = cls; } return td; }
  var page = 50, offset = 0, total = 0;
  function draw(feed) {
    var calls = feed.calls || [];
    total = feed.total || 0;
    document.querySelectorAll("[data-live-page]").forEach(function (b) { b.hidden = total <= page; });
    document.getElementById("live-count").textContent = total + " call(s)" +
      (feed.needs_attention ? " · " + feed.needs_attention + " need attention" : "") +
      (total > calls.length ? " · showing " + (offset + 1) + "–" + (offset + calls.length) : "");
    body.innerHTML = "";
    if (!calls.length) { var tr = document.createElement("tr"); tr.appendChild(cell("No live calls yet.", "muted")); tr.firstChild.colSpan = 9; body.appendChild(tr); return; }
    calls.forEach(function (c) {
      var tr = document.createElement("tr");
      tr.className = "live-row" + (c.needs_attention && !c.ended ? " attention" : "") + (c.ended ? " ended" : "");
      tr.setAttribute("data-call", c.call_id);
      tr.appendChild(cell(c.call_id));
      tr.appendChild(cell(c.agent_id || "—"));
      tr.appendChild(cell(c.team || "—"));
      tr.appendChild(cell(String(c.turns), "r"));
      tr.appendChild(cell((c.customer_sentiment >= 0 ? "+" : "") + c.customer_sentiment.toFixed(2), "r"));
      var o = c.opportunities;
      tr.appendChild(cell(o.met + " met · " + o.missed + " missed · " + o.pending + " waiting"));
      tr.appendChild(cell(String(c.prompts), "r"));
      tr.appendChild(cell(c.last_prompt || "—", "muted"));
      var status = c.ended ? "ended" + (c.needs_attention ? ": frustration never acknowledged" : "")
        : c.needs_attention ? "frustration rising, not acknowledged" : c.connected ? "live" : "disconnected";
      tr.appendChild(cell(status));
      body.appendChild(tr);
    });
  }
  function poll() {
    fetch(table.getAttribute("data-live-feed") + "?limit=" + page + "&offset=" + offset, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {calls: [], total: 0}; })
      .then(function (d) { draw(d); })
      .catch(function () {})
      .finally(function () { setTimeout(poll, 1000); });
  }
  document.querySelectorAll("[data-live-page]").forEach(function (b) {
    b.addEventListener("click", function () {
      var next = offset + page * Number(b.getAttribute("data-live-page"));
      if (next >= 0 && next < Math.max(total, 1)) { offset = next; }
    });
  });
  poll();
})();
