/**
 * The ops console's page: one self-contained HTML document (styles and script inline, uPlot from
 * /uplot.js). It polls /api/state every interval and redraws: headline numbers, the node list, and per
 * handler a card with calls/s and error rate, and p50/p99 latency, as small uPlot charts. Everything from
 * the API is inserted as text, never as HTML.
 */
const PAGE = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__ · mqgen ops</title>
<link rel="stylesheet" href="/uplot.css">
<style>
:root { --bg:#0d1117; --panel:#151b23; --line:#262f3b; --text:#e6edf3; --muted:#8b97a6; --ok:#3fb950; --warn:#d29922; --bad:#f85149; --blue:#58a6ff; --orange:#f0883e; --violet:#bc8cff; }
* { box-sizing:border-box; }
body { margin:0; background:var(--bg); color:var(--text); font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { display:flex; align-items:center; gap:14px; padding:14px 24px; border-bottom:1px solid var(--line); background:#10161e; }
header h1 { font-size:17px; margin:0; font-weight:650; letter-spacing:.2px; }
header h1 span { color:var(--muted); font-weight:500; }
.badge { font-size:12px; padding:2px 9px; border-radius:999px; border:1px solid var(--line); color:var(--muted); }
.spacer { flex:1; }
#updated { color:var(--muted); font-size:12px; font-variant-numeric:tabular-nums; }
.dot { display:inline-block; width:9px; height:9px; border-radius:50%; background:var(--ok); box-shadow:0 0 0 3px rgba(63,185,80,.15); }
.dot.stale { background:var(--warn); box-shadow:0 0 0 3px rgba(210,153,34,.15); }
.dot.down { background:var(--bad); box-shadow:0 0 0 3px rgba(248,81,73,.15); }
main { padding:20px 24px 40px; max-width:1500px; margin:0 auto; }
.kpis { display:grid; grid-template-columns:repeat(4, minmax(200px, 1fr)); gap:14px; margin-bottom:20px; }
.kpi { background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:12px 14px 6px; }
.kpi .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.6px; }
.kpi .value { font-size:28px; font-weight:650; font-variant-numeric:tabular-nums; margin:2px 0 0; }
.kpi .value small { font-size:14px; color:var(--muted); font-weight:500; margin-left:4px; }
.kpi.bad .value { color:var(--bad); }
h2 { font-size:13px; text-transform:uppercase; letter-spacing:.7px; color:var(--muted); margin:26px 0 10px; font-weight:600; }
table { width:100%; border-collapse:collapse; background:var(--panel); border:1px solid var(--line); border-radius:10px; overflow:hidden; }
th, td { text-align:left; padding:8px 12px; border-bottom:1px solid var(--line); white-space:nowrap; }
th { color:var(--muted); font-weight:600; font-size:12px; background:#121820; }
tr:last-child td { border-bottom:none; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
td.mono, .mono { font-family:ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size:12.5px; }
td.err { color:var(--bad); }
.grid { display:grid; grid-template-columns:repeat(auto-fill, minmax(440px, 1fr)); gap:14px; }
.card { background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:12px 14px 8px; }
.card.failing { border-color:rgba(248,81,73,.55); }
.card .title { display:flex; align-items:baseline; gap:8px; }
.card .title b { font-size:15px; }
.card .title .mono { color:var(--muted); }
.card .title .nodes { margin-left:auto; color:var(--muted); font-size:12px; }
.stats { display:grid; grid-template-columns:repeat(4, 1fr); gap:6px; margin:8px 0 4px; }
.stat .k { color:var(--muted); font-size:11px; text-transform:uppercase; letter-spacing:.5px; }
.stat .v { font-size:19px; font-weight:620; font-variant-numeric:tabular-nums; }
.stat .v.bad { color:var(--bad); }
.charts { display:grid; grid-template-columns:1fr 1fr; gap:8px; }
.chart .cap { font-size:11px; color:var(--muted); margin:2px 0 0 4px; display:flex; gap:10px; }
.chart .cap i { display:inline-block; width:10px; height:3px; border-radius:2px; vertical-align:middle; margin-right:4px; }
.lasterr { color:var(--bad); font-size:12px; margin-top:4px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
.empty { color:var(--muted); padding:30px; text-align:center; border:1px dashed var(--line); border-radius:10px; }
.uplot, .u-wrap { color:var(--muted); }
.idle { display:flex; flex-wrap:wrap; gap:6px; margin-top:12px; align-items:center; }
.idle .lbl { color:var(--muted); font-size:12px; margin-right:4px; }
.chip { font-size:12px; padding:2px 9px; border-radius:6px; background:var(--panel); border:1px solid var(--line); color:var(--muted); }
.chip b { color:var(--text); font-weight:600; margin-right:4px; }
</style>
</head>
<body>
<header>
  <span class="dot" id="status"></span>
  <h1>mqgen ops <span>· __TITLE__</span></h1>
  <span class="badge" id="source">connecting…</span>
  <div class="spacer"></div>
  <span id="updated">–</span>
</header>
<main>
  <section class="kpis">
    <div class="kpi"><div class="label">Nodes</div><div class="value" id="k-nodes">–</div><div id="s-nodes"></div></div>
    <div class="kpi"><div class="label">Calls / s</div><div class="value" id="k-rps">–</div><div id="s-rps"></div></div>
    <div class="kpi" id="kpi-err"><div class="label">Errors</div><div class="value" id="k-err">–</div><div id="s-err"></div></div>
    <div class="kpi"><div class="label">Gate connections</div><div class="value" id="k-gate">–</div><div id="s-gate"></div></div>
  </section>
  <h2>Nodes</h2>
  <table id="nodes"><thead><tr><th></th><th>Module</th><th>Node</th><th>Version</th><th>Host</th><th>Up</th><th style="text-align:right">Handlers</th><th style="text-align:right">Calls</th><th style="text-align:right">Errors</th><th style="text-align:right">Gate conns</th></tr></thead><tbody></tbody></table>
  <h2>Handlers</h2>
  <div class="grid" id="handlers"><div class="empty">Waiting for the first sample…</div></div>
  <div class="idle" id="idle"></div>
</main>
<script src="/uplot.js"></script>
<script>
(function () {
  "use strict";
  var INTERVAL = __INTERVAL__;
  var C = { blue: "#58a6ff", orange: "#f0883e", red: "#f85149", green: "#3fb950", violet: "#bc8cff", grid: "rgba(139,151,166,.12)", axis: "#8b97a6" };
  var cards = {};
  var sparks = {};
  var lastOk = 0;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fmtRate(v) { return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2); }
  function fmtMs(v) { if (v === null || v === undefined) return "–"; return v >= 100 ? v.toFixed(0) + " ms" : v >= 1 ? v.toFixed(1) + " ms" : (v * 1000).toFixed(0) + " µs"; }
  function fmtPct(v) { if (v === null || v === undefined) return "–"; return (v * 100).toFixed(v >= 0.1 ? 0 : 1) + "%"; }
  function ago(iso) {
    if (!iso) return "–";
    var s = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
    if (s < 60) return s + "s"; var m = Math.floor(s / 60); if (m < 60) return m + "m " + (s % 60) + "s";
    var h = Math.floor(m / 60); return h < 24 ? h + "h " + (m % 60) + "m" : Math.floor(h / 24) + "d " + (h % 24) + "h";
  }
  function clock(t) { var d = new Date(t * 1000); function p(n) { return (n < 10 ? "0" : "") + n; } return p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds()); }
  function last(a) { for (var i = a.length - 1; i >= 0; i--) if (a[i] !== null) return a[i]; return null; }
  function shortId(id) { var at = id.indexOf("@"); return at >= 0 ? id.slice(at + 1) : id; }

  function chart(target, width, height, series, yFmt) {
    var opts = {
      width: width, height: height, legend: { show: false }, cursor: { show: true, points: { size: 5 } },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.15 : 1]; } } },
      axes: [
        { stroke: C.axis, grid: { stroke: C.grid, width: 1 }, ticks: { show: false }, size: 20, font: "10px system-ui", space: 70, values: function (u, vals) { return vals.map(clock); } },
        { stroke: C.axis, grid: { stroke: C.grid, width: 1 }, ticks: { show: false }, size: 44, font: "10px system-ui", values: function (u, vals) { return vals.map(yFmt); } }
      ],
      series: [{}].concat(series.map(function (s) { return { label: s.label, stroke: s.color, width: 1.6, fill: s.fill || undefined, spanGaps: false, points: { show: false } }; }))
    };
    var empty = [[]].concat(series.map(function () { return []; }));
    return new uPlot(opts, empty, target);
  }

  function spark(id, color) {
    var host = document.getElementById(id);
    var u = new uPlot({
      width: host.clientWidth || 220, height: 38, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.2 : 1]; } } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: color, width: 1.5, fill: color + "22", points: { show: false } }]
    }, [[], []], host);
    sparks[id] = u;
  }

  function caption(items) {
    var cap = el("div", "cap");
    items.forEach(function (it) { var s = el("span"); var i = el("i"); i.style.background = it.color; s.appendChild(i); s.appendChild(document.createTextNode(it.label)); cap.appendChild(s); });
    return cap;
  }

  function card(h) {
    var c = el("div", "card");
    c.dataset.key = h.key;
    var title = el("div", "title");
    title.appendChild(el("b", "", h.module));
    title.appendChild(el("span", "mono", h.handler));
    var nodes = el("span", "nodes", "");
    title.appendChild(nodes);
    c.appendChild(title);
    var stats = el("div", "stats");
    var vals = {};
    [["rps", "calls/s"], ["err", "errors"], ["p50", "p50"], ["p99", "p99"]].forEach(function (p) {
      var s = el("div", "stat"); s.appendChild(el("div", "k", p[1])); var v = el("div", "v", "–"); s.appendChild(v); stats.appendChild(s); vals[p[0]] = v;
    });
    c.appendChild(stats);
    var charts = el("div", "charts");
    var a = el("div", "chart"); var b = el("div", "chart");
    charts.appendChild(a); charts.appendChild(b);
    c.appendChild(charts);
    var lastErr = el("div", "lasterr", "");
    c.appendChild(lastErr);
    document.getElementById("handlers").appendChild(c);
    var w = Math.max(180, Math.floor(a.clientWidth || (c.clientWidth - 36) / 2));
    var tp = chart(a, w, 96, [{ label: "calls/s", color: C.blue, fill: "rgba(88,166,255,.12)" }, { label: "errors/s", color: C.red }], function (v) { return fmtRate(v); });
    a.appendChild(caption([{ label: "calls/s", color: C.blue }, { label: "errors/s", color: C.red }]));
    var lat = chart(b, w, 96, [{ label: "p50", color: C.green }, { label: "p99", color: C.orange }], function (v) { return v >= 1 ? v.toFixed(v >= 10 ? 0 : 1) + "ms" : (v * 1000).toFixed(0) + "µs"; });
    b.appendChild(caption([{ label: "p50 latency", color: C.green }, { label: "p99", color: C.orange }]));
    return { root: c, vals: vals, nodes: nodes, tp: tp, lat: lat, lastErr: lastErr };
  }

  function renderNodes(nodes) {
    var body = document.querySelector("#nodes tbody");
    while (body.firstChild) body.removeChild(body.firstChild);
    if (nodes.length === 0) { var tr = el("tr"); var td = el("td", "", "No nodes registered yet."); td.colSpan = 10; tr.appendChild(td); body.appendChild(tr); return; }
    nodes.forEach(function (n) {
      var tr = el("tr");
      tr.dataset.node = n.id;
      var d = el("td"); var dot = el("span", n.live ? "dot" : "dot stale"); dot.title = n.live ? "answers $SRV" : "registered, not answering $SRV (e.g. Go mqant)"; d.appendChild(dot); tr.appendChild(d);
      tr.appendChild(el("td", "", n.module));
      tr.appendChild(el("td", "mono", shortId(n.id)));
      tr.appendChild(el("td", "mono", n.version || "–"));
      tr.appendChild(el("td", "mono", n.host));
      tr.appendChild(el("td", "", ago(n.started)));
      tr.appendChild(el("td", "num", String(n.handlers)));
      tr.appendChild(el("td", "num", String(n.calls)));
      tr.appendChild(el("td", n.errors > 0 ? "num err" : "num", String(n.errors)));
      tr.appendChild(el("td", "num", n.gateConnections === null ? "–" : String(n.gateConnections)));
      body.appendChild(tr);
    });
  }

  function render(s) {
    document.getElementById("source").textContent = s.source === "nats" ? "cluster over NATS ($SRV)" : "this process (no NATS)";
    var live = s.nodes.filter(function (n) { return n.live; }).length;
    document.getElementById("k-nodes").innerHTML = "";
    document.getElementById("k-nodes").appendChild(document.createTextNode(String(live)));
    var sm = el("small", "", live === s.nodes.length ? "live" : "of " + s.nodes.length + " live"); document.getElementById("k-nodes").appendChild(sm);
    document.getElementById("k-rps").textContent = fmtRate(s.totals.rps);
    var ratio = s.totals.rps > 0 ? s.totals.eps / s.totals.rps : 0;
    var kerr = document.getElementById("k-err");
    kerr.textContent = fmtPct(ratio);
    kerr.appendChild(el("small", "", fmtRate(s.totals.eps) + "/s"));
    document.getElementById("kpi-err").className = ratio > 0.01 ? "kpi bad" : "kpi";
    document.getElementById("k-gate").textContent = String(s.totals.gateConnections);
    renderNodes(s.nodes);

    var grid = document.getElementById("handlers");
    if (s.handlers.every(function (h) { return h.calls === 0; }) && Object.keys(cards).length === 0) { if (!grid.querySelector(".empty")) { grid.innerHTML = ""; grid.appendChild(el("div", "empty", s.handlers.length === 0 ? "No handlers yet." : "No calls yet: the charts appear with the first call.")); } }
    else { var e = grid.querySelector(".empty"); if (e) e.remove(); }
    var seen = {};
    var tAll = [], rpsAll = [], errAll = [];
    // Handlers that never ran get a chip, not a card: the grid shows where the traffic is.
    var idle = document.getElementById("idle");
    while (idle.firstChild) idle.removeChild(idle.firstChild);
    var idleOnes = s.handlers.filter(function (h) { return h.calls === 0 && !cards[h.key]; });
    if (idleOnes.length > 0) {
      idle.appendChild(el("span", "lbl", "Not called yet:"));
      idleOnes.forEach(function (h) { var c = el("span", "chip mono"); c.appendChild(el("b", "", h.module)); c.appendChild(document.createTextNode(h.handler)); idle.appendChild(c); });
    }
    s.handlers.forEach(function (h) {
      if (h.calls === 0 && !cards[h.key]) return;
      seen[h.key] = true;
      var c = cards[h.key] || (cards[h.key] = card(h));
      c.nodes.textContent = h.nodes + (h.nodes === 1 ? " node" : " nodes") + " · " + h.calls + " calls";
      var rps = h.rps.length ? h.rps[h.rps.length - 1] : 0;
      c.vals.rps.textContent = fmtRate(rps);
      var er = last(h.errRatio);
      c.vals.err.textContent = fmtPct(h.errRatio.length ? h.errRatio[h.errRatio.length - 1] : null);
      c.vals.err.className = (er || 0) > 0 ? "v bad" : "v";
      c.vals.p50.textContent = fmtMs(last(h.p50));
      c.vals.p99.textContent = fmtMs(last(h.p99));
      c.root.className = (h.errRatio.length && (h.errRatio[h.errRatio.length - 1] || 0) > 0.05) ? "card failing" : "card";
      c.lastErr.textContent = h.lastError ? "last error: " + h.lastError : "";
      c.tp.setData([h.t, h.rps, h.eps]);
      c.lat.setData([h.t, h.p50, h.p99]);
      h.t.forEach(function (t, i) { tAll[i] = t; rpsAll[i] = (rpsAll[i] || 0) + h.rps[i]; errAll[i] = (errAll[i] || 0) + h.eps[i]; });
    });
    Object.keys(cards).forEach(function (k) { if (!seen[k]) { cards[k].root.remove(); delete cards[k]; } });
    sparks["s-rps"].setData([tAll, rpsAll]);
    sparks["s-err"].setData([tAll, errAll]);
    sparks["s-gate"].setData([s.gate.t, s.gate.connections]);
    sparks["s-nodes"].setData([s.gate.t, s.gate.t.map(function () { return live; })]);
  }

  function poll() {
    fetch("/api/state", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (s) {
      lastOk = Date.now();
      render(s);
      document.getElementById("status").className = "dot";
    }).catch(function () {
      document.getElementById("status").className = "dot down";
    }).finally(function () { setTimeout(poll, INTERVAL); });
  }
  setInterval(function () {
    var u = document.getElementById("updated");
    u.textContent = lastOk ? "updated " + ((Date.now() - lastOk) / 1000).toFixed(1) + " s ago" : "–";
    if (lastOk && Date.now() - lastOk > 3 * INTERVAL) document.getElementById("status").className = "dot stale";
  }, 250);
  spark("s-nodes", C.violet); spark("s-rps", C.blue); spark("s-err", C.red); spark("s-gate", C.green);
  poll();
})();
</script>
</body>
</html>
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function consolePage(title: string, intervalMs: number): string {
  return PAGE.replaceAll("__TITLE__", escapeHtml(title)).replace("__INTERVAL__", String(Math.max(100, Math.round(intervalMs))));
}
