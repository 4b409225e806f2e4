// The caller's history above the live calls: recent calls, open, broken and overdue promises, last sentiment.
// Shown for the call named by ?call= or the first live call whose start named a customer.
(function () {
  var box = document.querySelector("[data-live-history]");
  var feed = document.querySelector("[data-live-feed]");
  if (!box || !feed) { return; }
  var wanted = new URLSearchParams(location.search).get("call");
  var shown = null;
  function el(tag, text, cls) { var e = document.createElement(tag); e.textContent = text; if (cls) { e.className = cls; } return e; }
  function sentiment(v) { return v === null || v === undefined ? "—" : (v >= 0 ? "+" : "") + v.toFixed(2); }
  function day(iso) { return iso ? iso.slice(0, 10) : "—"; }
  function promiseText(p) {
    return p.label + ": " + (p.what || "") + (p.when ? " (" + p.when + ")" : "") + (p.due ? " · due " + p.due : "") +
      " · call " + p.call_id + " · " + p.status + (p.status !== "open" ? " — " + p.why : "");
  }
  function list(sel, items, empty) {
    var ul = box.querySelector(sel);
    ul.innerHTML = "";
    if (!items.length) { ul.appendChild(el("li", empty, "muted")); return; }
    items.forEach(function (p) { var li = el("li", promiseText(p), "promise-" + p.status); li.setAttribute("data-promise", p.status); ul.appendChild(li); });
  }
  function draw(h) {
    if (!h.customer) { box.hidden = true; return; }
    box.querySelector("[data-history-customer]").textContent = h.customer;
    box.querySelector("[data-history-sentiment]").textContent = "last sentiment " + sentiment(h.last_sentiment) +
      " · " + h.calls.length + " recent call(s)";
    list("[data-history-open]", h.open, "None");
    list("[data-history-broken]", h.broken.concat(h.overdue || []), "None");
    var body = box.querySelector("[data-history-calls]");
    body.innerHTML = "";
    if (!h.calls.length) { var tr0 = document.createElement("tr"); tr0.appendChild(el("td", "No earlier calls.", "muted")); tr0.firstChild.colSpan = 6; body.appendChild(tr0); }
    h.calls.forEach(function (c) {
      var tr = document.createElement("tr");
      var link = el("a", c.id); link.href = "/calls/" + encodeURIComponent(c.id);
      var first = document.createElement("td"); first.appendChild(link); tr.appendChild(first);
      tr.appendChild(el("td", day(c.started_at)));
      tr.appendChild(el("td", c.agent_id || "—"));
      tr.appendChild(el("td", c.reason || "—"));
      tr.appendChild(el("td", sentiment(c.customer_end), "r"));
      tr.appendChild(el("td", c.promises.map(function (p) { return p.label + " " + p.status; }).join(", ") || "—"));
      body.appendChild(tr);
    });
    box.hidden = false;
  }
  function pick() {
    fetch(feed.getAttribute("data-live-feed") + "?limit=500", {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {calls: []}; })
      .then(function (d) {
        var calls = d.calls || [];
        var call = calls.filter(function (c) { return wanted ? c.call_id === wanted : c.customer_id && !c.ended; })[0];
        if (!call || !call.customer_id) { if (!call) { box.hidden = true; shown = null; } return; }
        if (shown === call.call_id) { return; }
        return fetch(box.getAttribute("data-live-history") + "?call=" + encodeURIComponent(call.call_id), {credentials: "same-origin"})
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (h) { if (h) { shown = call.call_id; draw(h); } });
      })
      .catch(function () {})
      .finally(function () { setTimeout(pick, 2000); });
  }
  pick();
})();
