// kafkasim timeline page: draws the run's JSON (script#data) into one SVG, with zoom by time, a
// scrubber through every moment something happened, an offset inspector and each anomaly's story.
// Everything is inline: the page opens from disk with no network.
"use strict";
(function () {
  var errors = [];
  var status = document.getElementById("status");
  function noteError(msg) {
    errors.push(String(msg));
    status.setAttribute("data-errors", String(errors.length));
    status.textContent = "errors: " + errors.join(" | ");
  }
  window.addEventListener("error", function (e) { noteError(e.message); });
  var D = JSON.parse(document.getElementById("data").textContent);

  // Okabe-Ito, the colour-blind-safe palette.
  var OI = { orange: "#E69F00", sky: "#56B4E9", green: "#009E73", yellow: "#F0E442", blue: "#0072B2",
    red: "#D55E00", purple: "#CC79A7", black: "#000000" };
  var PRODUCER = [OI.blue, OI.orange, OI.sky, OI.purple, OI.yellow, "#7a7a7a", OI.green, "#3d3d8f"];
  function pcolour(p) { return p >= 1e15 ? "#888" : PRODUCER[p % PRODUCER.length]; }

  // --- decoding ---
  function undelta(a, w) { var out = a.slice(), t = 0; for (var i = 0; i < out.length; i += w) { t += out[i]; out[i] = t; } return out; }
  D.partitions.forEach(function (p) {
    p.replicas.forEach(function (r) {
      r.leo = undelta(r.leo, 2); r.hw = undelta(r.hw, 2); r.lso = undelta(r.lso, 2);
    });
  });
  D.senders.forEach(function (s) { s.sends = undelta(s.sends, 3); s.acks = undelta(s.acks, 6); s.fails = undelta(s.fails, 4); s.txns = undelta(s.txns, 4); });
  D.members.forEach(function (m) { m.polls = undelta(m.polls, 4); m.processed = undelta(m.processed, 4); m.commits = undelta(m.commits, 4); });
  var lineAt = undelta(D.line_at, 1);
  // Per partition, per group: the committed offset and the position (the end of the last poll)
  // over time, as (time, offset) series drawn on the partition's replica lanes.
  var groupLines = {};
  D.members.forEach(function (m) {
    function add(kind, p, t, v) {
      var k = p + "|" + m.group, g = groupLines[k] || (groupLines[k] = { group: m.group, committed: [], position: [] });
      g[kind].push(t, v);
    }
    for (var i = 0; i < m.commits.length; i += 4) if (m.commits[i + 3]) add("committed", m.commits[i + 1], m.commits[i], m.commits[i + 2]);
    for (i = 0; i < m.polls.length; i += 4) add("position", m.polls[i + 1], m.polls[i], m.polls[i + 2] + m.polls[i + 3]);
  });
  Object.keys(groupLines).forEach(function (k) {
    ["committed", "position"].forEach(function (kind) {
      var s = groupLines[k][kind], pairs = [];
      for (var i = 0; i < s.length; i += 2) pairs.push([s[i], s[i + 1]]);
      pairs.sort(function (a, b) { return a[0] - b[0]; });
      groupLines[k][kind] = [].concat.apply([], pairs);
    });
  });
  var END = Math.max(D.end, 1);
  var BIG = 1e15;

  // value of a (time, value) series at time t (the last change at or before t)
  function at(series, t) {
    var lo = 0, hi = series.length / 2 - 1, v = 0;
    while (lo <= hi) { var mid = (lo + hi) >> 1; if (series[2 * mid] <= t) { v = series[2 * mid + 1]; lo = mid + 1; } else hi = mid - 1; }
    return v;
  }
  function firstAtOrAfter(arr, w, t) { var lo = 0, hi = arr.length / w; while (lo < hi) { var m = (lo + hi) >> 1; if (arr[m * w] < t) lo = m + 1; else hi = m; } return lo; }
  function esc(s) { return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;"); }
  function recName(p, i) { return D.producers[p] + "#" + i; }
  function partName(idx) { for (var i = 0; i < D.partitions.length; i++) if (D.partitions[i].idx === idx) return D.partitions[i].name; return "partition" + idx; }

  // --- steps: every moment something happened ---
  var stepSet = {};
  function addT(t) { stepSet[t] = 1; }
  D.partitions.forEach(function (p) {
    for (var i = 0; i < p.states.length; i += 4) addT(p.states[i]);
    p.replicas.forEach(function (r) {
      for (var i = 0; i < r.leo.length; i += 2) addT(r.leo[i]);
      for (i = 0; i < r.hw.length; i += 2) addT(r.hw[i]);
      for (i = 0; i < r.cuts.length; i += 4) addT(r.cuts[i]);
    });
  });
  D.senders.forEach(function (s) { [[s.sends, 3], [s.acks, 6], [s.fails, 4], [s.txns, 4]].forEach(function (x) { for (var i = 0; i < x[0].length; i += x[1]) addT(x[0][i]); }); });
  D.members.forEach(function (m) { [[m.polls, 4], [m.processed, 4], [m.commits, 4]].forEach(function (x) { for (var i = 0; i < x[0].length; i += x[1]) addT(x[0][i]); }); m.started.forEach(addT); m.assigned.forEach(function (a) { addT(a[0]); }); });
  D.faults.forEach(function (f) { addT(f.at); if (f.until != null) addT(f.until); });
  lineAt.forEach(addT);
  var steps = Object.keys(stepSet).map(Number).sort(function (a, b) { return a - b; });
  if (!steps.length) steps = [0];

  // --- layout ---
  var replicaLanes = D.partitions.reduce(function (n, p) { return n + p.replicas.length; }, 0);
  var LABEL = 118, LANE = replicaLanes > 6 ? 52 : 74, HEAD = 20, SLANE = 26, MLANE = 30, AXIS = 48, GAP = 10;
  var svg = document.getElementById("svg");
  var chart = document.getElementById("chart");
  var view = { t0: 0, t1: END };
  var cursor = null, story = null, inspect = null;
  var rows = [];   // {kind, y, h, ...}
  function layout() {
    rows = []; var y = AXIS;
    D.partitions.forEach(function (p) {
      rows.push({ kind: "head", p: p, y: y, h: HEAD }); y += HEAD;
      p.replicas.forEach(function (r) { rows.push({ kind: "replica", p: p, r: r, y: y, h: LANE }); y += LANE + 3; });
      y += GAP;
    });
    if (D.senders.length) { rows.push({ kind: "title", text: "producers", y: y, h: 16 }); y += 16; }
    D.senders.forEach(function (s, i) { rows.push({ kind: "sender", s: s, i: i, y: y, h: SLANE }); y += SLANE + 2; });
    if (D.members.length) { y += GAP; rows.push({ kind: "title", text: "consumer group members", y: y, h: 16 }); y += 16; }
    D.members.forEach(function (m, i) { rows.push({ kind: "member", m: m, i: i, y: y, h: MLANE }); y += MLANE + 2; });
    return y + 8;
  }
  var HEIGHT = layout();
  // The chart's width, read once per draw: reading clientWidth in X() for every point of a
  // 100,000-record run made drawing take seconds.
  var cachedWidth = null;
  function width() { return cachedWidth !== null ? cachedWidth : Math.max(500, chart.clientWidth || 900); }
  function X(t) { var w = width() - LABEL - 10; return LABEL + (t - view.t0) / (view.t1 - view.t0) * w; }
  function T(x) { var w = width() - LABEL - 10; return view.t0 + (x - LABEL) / w * (view.t1 - view.t0); }
  function clampX(x) { return Math.max(LABEL - 2, Math.min(width() + 2, x)); }
  function rowOf(kind, pred) { for (var i = 0; i < rows.length; i++) if (rows[i].kind === kind && pred(rows[i])) return rows[i]; return null; }
  function replicaRow(pidx, b) { return rowOf("replica", function (r) { return r.p.idx === pidx && r.r.b === b; }); }
  function Y(row, off) { var top = Math.max(row.p.top, 1); return row.y + row.h - 2 - (off / top) * (row.h - 8); }

  // --- drawing ---
  function fmt(n) { return Math.round(n * 100) / 100; }
  function axis(out) {
    var span = view.t1 - view.t0, step = Math.pow(10, Math.floor(Math.log10(span / 6)));
    if (span / step > 12) step *= 5; else if (span / step > 6) step *= 2;
    out.push('<g class="axis">');
    for (var t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
      var x = fmt(X(t));
      out.push('<line x1="' + x + '" x2="' + x + '" y1="' + (AXIS - 4) + '" y2="' + HEIGHT + '" stroke="#eee"/>');
      out.push('<text class="small" x="' + x + '" y="' + (AXIS - 3) + '" text-anchor="middle">' + t + ' ms</text>');
    }
    out.push("</g>");
  }
  function series(out, row, s, colour, dash, width, cls) {
    if (!s.length) return;
    var d = "", lastPx = -1e9, y0 = null, px = 0, cur = null;
    var start = Math.max(0, firstAtOrAfter(s, 2, view.t0) - 1);
    for (var i = start; i < s.length; i += 2) {
      var t = s[i]; if (t > view.t1) break;
      px = Math.round(clampX(X(t)) * 2) / 2;
      var y = Math.round(Y(row, s[i + 1]) * 2) / 2;
      if (cur === null) { d += "M" + px + " " + y; }
      else if (y !== cur) { d += (px === lastPx ? "" : "H" + px) + "V" + y; lastPx = px; }
      cur = y;
    }
    if (cur !== null) d += "H" + fmt(clampX(X(Math.min(view.t1, END))));
    out.push('<path class="' + cls + '" d="' + d + '" fill="none" stroke="' + colour + '" stroke-width="' + width + '"' + (dash ? ' stroke-dasharray="' + dash + '"' : "") + "/>");
  }
  function bands(out, row) {
    var r = row.r, b = r.bands, n = b.length / 9, markers = 0;
    var cur = null;
    function flush() {
      if (!cur) return;
      var xIn = clampX(X(cur.tin)), xLast = clampX(X(cur.tlast)), xCut = clampX(X(cur.cut || END));
      var yb = fmt(Y(row, cur.base)), ye = fmt(Y(row, cur.end));
      if (xCut >= LABEL && xIn <= width()) {
        var fill = pcolour(cur.p);
        out.push('<path class="band" d="M' + fmt(xIn) + " " + yb + "L" + fmt(xCut) + " " + yb + "L" + fmt(xCut) + " " + ye + "L" + fmt(xLast) + " " + ye + 'Z" fill="' + fill + '" fill-opacity="0.55" stroke="' + (cur.cut ? OI.red : "none") + '" stroke-width="0.8"' + (cur.flags & 1 ? ' style="fill:url(#txn-' + (cur.p % PRODUCER.length) + ')"' : "") + "/>");
      }
      cur = null;
    }
    for (var i = 0; i < n; i++) {
      var o = i * 9, base = b[o], len = b[o + 1], p = b[o + 2], flags = b[o + 5], tin = b[o + 6], tlast = b[o + 7], cut = b[o + 8];
      if (flags & 6) { markers++; continue; }
      var key = p + ":" + (flags & 1) + ":" + cut;
      if (cur && cur.key === key && cur.end === base && X(tin) - X(cur.tlast) < 3) { cur.end = base + len; cur.tlast = tlast; continue; }
      flush();
      cur = { key: key, base: base, end: base + len, p: p, flags: flags, tin: tin, tlast: tlast, cut: cut };
    }
    flush();
    if (markers && markers < 4000) {
      for (i = 0; i < n; i++) {
        o = i * 9; flags = b[o + 5]; if (!(flags & 6)) continue;
        var y = fmt(Y(row, b[o] + 0.5)), x1 = clampX(X(b[o + 6])), x2 = clampX(X(b[o + 8] || END));
        if (x2 < LABEL || x1 > width()) continue;
        out.push('<line class="marker ' + (flags & 2 ? "commit" : "abort") + '" data-offset="' + b[o] + '" x1="' + fmt(x1) + '" x2="' + fmt(x2) + '" y1="' + y + '" y2="' + y + '" stroke="' + (flags & 2 ? OI.green : OI.red) + '" stroke-width="1.6"/>');
      }
    }
  }
  function faultRect(out, f, y, h) {
    var x1 = clampX(X(f.at)), x2 = clampX(X(f.until == null ? END : f.until));
    if (x2 < LABEL || x1 > width()) return;
    var pat = { "crash": "f-crash", "power-loss": "f-power", "pause": "f-pause", "isolate": "f-isolate", "partition": "f-partition" }[f.action] || "f-crash";
    out.push('<rect class="fault" data-action="' + f.action + '" x="' + fmt(x1) + '" y="' + y + '" width="' + fmt(Math.max(1.5, x2 - x1)) + '" height="' + h + '" fill="url(#' + pat + ')"><title>' + esc(f.action + " " + f.target + " (" + f.trigger + ")") + "</title></rect>");
  }
  function laneHit(f, row) {
    if (row.kind === "replica") return f.brokers.indexOf(row.r.b) >= 0;
    var name = row.kind === "sender" ? row.s.name : row.kind === "member" ? row.m.name : null;
    if (!name) return false;
    return f.clients.some(function (c) { return c.charAt(c.length - 1) === "/" ? name.indexOf(c) === 0 : name === c; });
  }
  function histogram(out, arr, w, countAt, y, h, colour, up, cls) {
    var bw = 3, bins = {}, max = 0;
    var i0 = firstAtOrAfter(arr, w, view.t0);
    for (var i = i0 * w; i < arr.length; i += w) {
      var t = arr[i]; if (t > view.t1) break;
      var k = Math.floor((X(t) - LABEL) / bw); bins[k] = (bins[k] || 0) + (countAt ? arr[i + countAt] : 1);
      if (bins[k] > max) max = bins[k];
    }
    var d = "";
    Object.keys(bins).forEach(function (k) {
      var x = LABEL + Number(k) * bw, v = Math.max(2, Math.sqrt(bins[k] / max) * h);
      d += "M" + fmt(x) + " " + fmt(up ? y - v : y) + "h" + bw + "v" + fmt(v) + "h" + (-bw) + "Z";
    });
    if (d) out.push('<path class="' + cls + '" d="' + d + '" fill="' + colour + '"/>');
  }
  function draw() {
    cachedWidth = null;
    var W = width(), out = [];
    cachedWidth = W;
    svg.setAttribute("width", W); svg.setAttribute("height", HEIGHT);
    svg.setAttribute("viewBox", "0 0 " + W + " " + HEIGHT);
    out.push(DEFS);
    axis(out);
    rows.forEach(function (row) {
      if (row.kind === "title") { out.push('<text class="lanelabel" font-weight="600" x="4" y="' + (row.y + 12) + '">' + esc(row.text) + "</text>"); return; }
      if (row.kind === "head") { head(out, row); return; }
      out.push('<rect x="' + LABEL + '" y="' + row.y + '" width="' + (W - LABEL - 10) + '" height="' + row.h + '" fill="#fafafa" stroke="#ddd"/>');
      D.faults.forEach(function (f) { if (laneHit(f, row)) faultRect(out, f, row.y, row.h); });
      if (row.kind === "replica") replica(out, row);
      else if (row.kind === "sender") sender(out, row);
      else if (row.kind === "member") member(out, row);
    });
    faultLabels(out);
    highlight(out);
    if (cursor !== null) {
      var x = fmt(X(cursor));
      out.push('<line id="cursor" data-t="' + cursor + '" x1="' + x + '" x2="' + x + '" y1="' + (AXIS - 4) + '" y2="' + HEIGHT + '" stroke="#000" stroke-width="1"/>');
    }
    cachedWidth = null;
    svg.innerHTML = out.join("");
  }
  function head(out, row) {
    var p = row.p;
    out.push('<text class="lanelabel" font-weight="600" x="4" y="' + (row.y + 14) + '">' + esc(p.name) + "</text>");
    for (var i = 0; i < p.states.length; i += 4) {
      var t = p.states[i], t2 = i + 4 < p.states.length ? p.states[i + 4] : END;
      var x1 = clampX(X(t)), x2 = clampX(X(t2)); if (x2 < LABEL || x1 > width()) continue;
      var isr = [], bits = p.states[i + 3]; for (var b = 0; b < 63; b++) if (Math.floor(bits / Math.pow(2, b)) % 2) isr.push(b);
      var leader = p.states[i + 1];
      var label = (leader ? "leader " + leader : "offline") + " · epoch " + p.states[i + 2] + " · ISR " + isr.join(",");
      out.push('<g class="state" data-partition="' + esc(p.name) + '" data-at="' + t + '" data-leader="' + leader + '" data-epoch="' + p.states[i + 2] + '" data-isr="' + isr.join(",") + '">');
      out.push('<rect x="' + fmt(x1) + '" y="' + (row.y + 2) + '" width="' + fmt(Math.max(1, x2 - x1)) + '" height="' + (HEAD - 4) + '" fill="' + (leader ? "#e8f1f8" : "#fbe3d6") + '" stroke="#9bb"/>');
      if (x2 - x1 > 60) out.push('<text class="small" x="' + fmt(x1 + 3) + '" y="' + (row.y + 14) + '">' + esc(label) + "</text>");
      out.push("<title>" + esc(t + " ms: " + label) + "</title></g>");
    }
  }
  function replica(out, row) {
    var r = row.r, p = row.p;
    out.push('<g class="lane replica" data-partition="' + esc(p.name) + '" data-broker="' + r.b + '">');
    out.push('<text class="lanelabel" x="4" y="' + (row.y + 14) + '">broker ' + r.b + "</text>");
    out.push('<text class="small" x="4" y="' + (row.y + 28) + '">top offset ' + p.top + "</text>");
    // role strip: dark where it believes it leads
    for (var i = 0; i < r.role.length; i += 3) {
      var t2 = i + 3 < r.role.length ? r.role[i + 3] : END;
      if (!r.role[i + 2]) continue;
      var x1 = clampX(X(r.role[i])), x2 = clampX(X(t2)); if (x2 < LABEL || x1 > width()) continue;
      out.push('<rect class="leads" data-epoch="' + r.role[i + 1] + '" x="' + fmt(x1) + '" y="' + row.y + '" width="' + fmt(Math.max(1, x2 - x1)) + '" height="4" fill="#222"><title>broker ' + r.b + " leads at epoch " + r.role[i + 1] + "</title></rect>");
    }
    bands(out, row);
    for (i = 0; i < r.alone.length; i += 4) {
      var a = r.alone.slice(i, i + 4);
      var ax1 = clampX(X(a[2])), ax2 = clampX(X(a[3] || END));
      out.push('<rect class="alone" data-partition="' + esc(p.name) + '" data-broker="' + r.b + '" data-from="' + a[0] + '" data-to="' + a[1] + '" data-since="' + a[2] + '" data-until="' + (a[3] || "") + '" x="' + fmt(ax1) + '" y="' + fmt(Y(row, a[1] + 1)) + '" width="' + fmt(Math.max(1, ax2 - ax1)) + '" height="' + fmt(Math.max(1.5, Y(row, a[0]) - Y(row, a[1] + 1))) + '" fill="none" stroke="' + OI.purple + '" stroke-width="1.5" stroke-dasharray="4 2"><title>only broker ' + r.b + " held offsets " + a[0] + "–" + a[1] + "</title></rect>");
    }
    series(out, row, r.leo, "#555", "3 2", 1, "leo");
    series(out, row, r.hw, "#000", "", 1.6, "hw");
    if (r.lso.length) series(out, row, r.lso, OI.purple, "1 2", 1.6, "lso");
    Object.keys(groupLines).forEach(function (k) {
      if (k.split("|")[0] !== String(p.idx)) return;
      series(out, row, groupLines[k].position, OI.sky, "6 2", 1.2, "position");
      series(out, row, groupLines[k].committed, OI.green, "6 2 1 2", 1.4, "committed");
    });
    for (i = 0; i < r.cuts.length; i += 4) {
      var c = r.cuts.slice(i, i + 4), x = fmt(clampX(X(c[0])));
      var y1 = fmt(Y(row, c[2] + 1)), y2 = fmt(Y(row, c[1]));
      out.push('<g class="cut" data-partition="' + esc(p.name) + '" data-broker="' + r.b + '" data-at="' + c[0] + '" data-from="' + c[1] + '" data-to="' + c[2] + '" data-cause="' + (c[3] ? "power-loss" : "truncation") + '">');
      out.push('<line x1="' + x + '" x2="' + x + '" y1="' + y1 + '" y2="' + y2 + '" stroke="' + OI.red + '" stroke-width="3"/>');
      var right = Number(x) > width() - 90;
      out.push('<text x="' + (Number(x) + (right ? -3 : 3)) + '" y="' + (Number(y1) + 9) + '" class="small" fill="' + OI.red + '"' + (right ? ' text-anchor="end"' : "") + ">" + (c[3] ? "⚡ " : "✂ ") + c[1] + "–" + c[2] + "</text>");
      out.push("<title>" + esc("broker " + r.b + (c[3] ? " lost power" : " truncated") + " at " + c[0] + " ms: offsets " + c[1] + "–" + c[2] + " cut") + "</title></g>");
    }
    out.push("</g>");
  }
  function sender(out, row) {
    var s = row.s, mid = row.y + row.h / 2;
    out.push('<g class="lane sender" data-name="' + esc(s.name) + '">');
    out.push('<text class="lanelabel" x="4" y="' + (row.y + 16) + '">' + esc(s.name) + (s.output ? " (out)" : "") + "</text>");
    out.push('<line x1="' + LABEL + '" x2="' + (width() - 10) + '" y1="' + mid + '" y2="' + mid + '" stroke="#ddd"/>');
    histogram(out, s.sends, 3, 2, mid, row.h / 2 - 2, "#999", true, "sends");
    histogram(out, s.acks, 6, 2, mid, row.h / 2 - 2, OI.green, false, "acks");
    var failed = [], indet = [];
    for (var i = 0; i < s.fails.length; i += 4) (s.fails[i + 3] ? indet : failed).push(s.fails[i], s.fails[i + 1], s.fails[i + 2], s.fails[i + 3]);
    histogram(out, failed, 4, 2, mid, row.h / 2 - 2, OI.red, false, "failed");
    histogram(out, indet, 4, 2, mid, row.h / 2 - 2, OI.orange, false, "indeterminate");
    for (i = 0; i < s.txns.length; i += 4) {
      var x = X(s.txns[i]); if (x < LABEL || x > width()) continue;
      var commit = s.txns[i + 2], ok = s.txns[i + 3];
      out.push('<text class="txn" x="' + fmt(x) + '" y="' + (row.y + 9) + '" font-size="9" text-anchor="middle" fill="' + (commit ? OI.green : OI.red) + '">' + (commit ? "C" : "A") + (ok ? "" : "!") + "</text>");
    }
    out.push("</g>");
  }
  function member(out, row) {
    var m = row.m;
    out.push('<g class="lane member" data-name="' + esc(m.name) + '" data-group="' + esc(m.group) + '">');
    out.push('<text class="lanelabel" x="4" y="' + (row.y + 13) + '">' + esc(m.name) + "</text>");
    out.push('<text class="small" x="4" y="' + (row.y + 25) + '">group ' + esc(m.group) + "</text>");
    for (var i = 0; i < m.assigned.length; i++) {
      var a = m.assigned[i], t2 = i + 1 < m.assigned.length ? m.assigned[i + 1][0] : END;
      var x1 = clampX(X(a[0])), x2 = clampX(X(t2)); if (x2 < LABEL || x1 > width()) continue;
      var label = "gen " + a[1] + ": " + a[2].map(partName).join(", ");
      out.push('<g class="assignment" data-generation="' + a[1] + '"><rect x="' + fmt(x1) + '" y="' + (row.y + 1) + '" width="' + fmt(Math.max(1, x2 - x1)) + '" height="9" fill="#e8f1f8" stroke="#9bb"/>');
      if (x2 - x1 > 50) out.push('<text class="small" font-size="8" x="' + fmt(x1 + 2) + '" y="' + (row.y + 8) + '">' + esc(label) + "</text>");
      out.push("<title>" + esc(a[0] + " ms: " + label) + "</title></g>");
    }
    var base = row.y + row.h - 2;
    histogram(out, m.polls, 4, 3, row.y + 20, 8, OI.sky, true, "polls");
    histogram(out, m.processed, 4, 3, base, 8, OI.blue, true, "processed");
    for (i = 0; i < m.commits.length; i += 4) {
      var x = X(m.commits[i]); if (x < LABEL || x > width()) continue;
      out.push('<path class="commit" d="M' + fmt(x) + " " + (row.y + 11) + "l3 4l-3 4l-3 -4Z\" fill=\"" + (m.commits[i + 3] ? OI.green : OI.red) + '"/>');
    }
    m.started.forEach(function (t) { var x = X(t); if (x >= LABEL && x <= width()) out.push('<path class="start" d="M' + fmt(x) + " " + (row.y + 12) + 'l5 5l-5 5Z" fill="#444"/>'); });
    m.failed.forEach(function (t) { var x = X(t); if (x >= LABEL && x <= width()) out.push('<text x="' + fmt(x) + '" y="' + (row.y + 22) + '" fill="' + OI.red + '" font-size="12">✕</text>'); });
    out.push("</g>");
  }
  function faultLabels(out) {
    var free = [0, 0, 0];  // where each label row is free again
    D.faults.forEach(function (f, i) {
      var x = X(f.at); if (x < LABEL || x > width()) return;
      var label = f.action + " " + f.target, row = 0;
      while (row < 2 && free[row] > x) row++;
      free[row] = x + label.length * 5.6 + 6;
      out.push('<g class="faultlabel" data-i="' + i + '"><line x1="' + fmt(x) + '" x2="' + fmt(x) + '" y1="' + (AXIS - 44 + row * 10) + '" y2="' + AXIS + '" stroke="' + OI.red + '"/><text class="small" x="' + fmt(x + 2) + '" y="' + (AXIS - 36 + row * 10) + '" fill="' + OI.red + '">' + esc(label) + "</text><title>" + esc(f.at + " ms: " + f.action + " " + f.target + " (" + f.trigger + ")") + "</title></g>");
    });
  }
  function highlight(out) {
    if (!story) return;
    var m = story.marks, W = 7;
    out.push('<g id="highlight" data-record="' + esc(story.record) + '">');
    for (var i = 0; i < m.length; i += W) {
      var k = m[i], row, x, y;
      if (k === 3) {
        row = replicaRow(m[i + 1], m[i + 2]); if (!row) continue;
        var x1 = clampX(X(m[i + 4])), x2 = clampX(X(m[i + 5] || END)); y = fmt(Y(row, m[i + 3] + 0.5));
        out.push('<g class="mark" data-kind="held" data-broker="' + m[i + 2] + '" data-offset="' + m[i + 3] + '" data-from="' + m[i + 4] + '" data-until="' + (m[i + 5] || "") + '"><line x1="' + fmt(x1) + '" x2="' + fmt(x2) + '" y1="' + y + '" y2="' + y + '" stroke="#000" stroke-width="3"/><line x1="' + fmt(x1) + '" x2="' + fmt(x2) + '" y1="' + y + '" y2="' + y + '" stroke="' + OI.yellow + '" stroke-width="1.5"/>' + (m[i + 5] ? '<text x="' + fmt(x2 - 4) + '" y="' + (Number(y) + 4) + '" font-size="13" fill="' + OI.red + '">✕</text>' : "") + "</g>");
      } else if (k <= 2 || k === 6) {
        row = rows.filter(function (r) { return r.kind === "sender"; })[m[i + 2]]; if (!row) continue;
        x = fmt(X(m[i + 1])); y = row.y + row.h / 2;
        var kind = ["sent", "acked", "failed", "", "", "", "txn"][k];
        out.push('<circle class="mark" data-kind="' + kind + '" cx="' + x + '" cy="' + y + '" r="5" fill="none" stroke="#000" stroke-width="2"/>');
        if (k === 1 && m[i + 4] < BIG) {
          var lr = replicaRow(m[i + 3], m[i + 5]);
          if (lr) out.push('<circle class="mark" data-kind="acked-at" cx="' + x + '" cy="' + fmt(Y(lr, m[i + 4] + 0.5)) + '" r="5" fill="' + OI.yellow + '" stroke="#000" stroke-width="1.5"/>');
        }
      } else {
        row = rows.filter(function (r) { return r.kind === "member"; })[m[i + 2]]; if (!row) continue;
        x = fmt(X(m[i + 1])); y = row.y + row.h / 2;
        out.push('<circle class="mark" data-kind="' + (k === 4 ? "polled" : "processed") + '" cx="' + x + '" cy="' + y + '" r="' + (k === 4 ? 4 : 6) + '" fill="' + (k === 5 ? OI.yellow : "none") + '" stroke="#000" stroke-width="1.5"/>');
      }
    }
    out.push("</g>");
  }

  var DEFS = '<defs>' + PRODUCER.map(function (c, i) {
    return '<pattern id="txn-' + i + '" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="' + c + '" fill-opacity="0.55"/><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern>';
  }).join("") +
    '<pattern id="f-crash" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#d9d9d9"/><line x1="0" y1="0" x2="0" y2="8" stroke="#aaa" stroke-width="3"/></pattern>' +
    '<pattern id="f-power" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="8" height="8" fill="#c8c8c8"/><line x1="0" y1="0" x2="0" y2="8" stroke="#777" stroke-width="4"/></pattern>' +
    '<pattern id="f-pause" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#f3eccc"/><circle cx="3" cy="3" r="1.2" fill="#b59a00"/></pattern>' +
    '<pattern id="f-isolate" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="#dcecf7"/><line x1="0" y1="4" x2="8" y2="4" stroke="#56B4E9" stroke-width="2"/></pattern>' +
    '<pattern id="f-partition" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="#f6e1ee"/><line x1="4" y1="0" x2="4" y2="8" stroke="#CC79A7" stroke-width="2"/></pattern>' +
    "</defs>";

  // --- side panel: the step, the inspector, the story ---
  var scrub = document.getElementById("scrub");
  scrub.max = String(steps.length - 1);
  function stepIndex(t) { var lo = 0, hi = steps.length - 1; while (lo < hi) { var m = (lo + hi + 1) >> 1; if (steps[m] <= t) lo = m; else hi = m - 1; } return lo; }
  function setCursor(t, keepView) {
    cursor = t;
    scrub.value = String(stepIndex(t));
    document.getElementById("now").textContent = "t = " + t + " ms (step " + (stepIndex(t) + 1) + " of " + steps.length + ")";
    if (!keepView && (t < view.t0 || t > view.t1)) { var span = view.t1 - view.t0; view.t0 = Math.max(0, t - span / 2); view.t1 = view.t0 + span; }
    showStep(t);
    draw();
  }
  function showStep(t) {
    var el = document.getElementById("step"), h = [];
    h.push("<h2>At " + t + " ms</h2>");
    var i0 = firstAtOrAfter(lineAt, 1, t), lines = [];
    for (var i = i0; i < lineAt.length && lineAt[i] === t; i++) lines.push(pad(t) + "  " + D.lines[i]);
    h.push('<div>trace lines at this time (' + lines.length + '):</div><pre id="steplines">' + esc(lines.join("\n") || "(none kept" + (D.dropped ? "; " + D.dropped + " lines were left out of this page: run with --trace to see all)" : ")")) + "</pre>");
    var ev = [];
    D.senders.forEach(function (s) {
      each(s.sends, 3, t, function (o) { ev.push(s.name + " sent " + s.sends[o + 2] + " to " + partName(s.sends[o + 1])); });
      each(s.acks, 6, t, function (o) { var a = s.acks; ev.push(s.name + " acked " + a[o + 2] + " at " + partName(a[o + 1]) + (a[o + 3] < BIG ? " offset " + a[o + 3] : "") + " (broker " + a[o + 4] + ", epoch " + a[o + 5] + ")"); });
      each(s.fails, 4, t, function (o) { ev.push(s.name + ": " + s.fails[o + 2] + " " + (s.fails[o + 3] ? "indeterminate" : "failed") + " at " + partName(s.fails[o + 1])); });
      each(s.txns, 4, t, function (o) { ev.push(s.name + " transaction " + s.txns[o + 1] + " " + (s.txns[o + 2] ? "commit" : "abort") + (s.txns[o + 3] ? "" : " failed")); });
    });
    D.members.forEach(function (m) {
      each(m.polls, 4, t, function (o) { ev.push(m.name + " polled " + partName(m.polls[o + 1]) + " offsets " + m.polls[o + 2] + "–" + (m.polls[o + 2] + m.polls[o + 3] - 1)); });
      each(m.processed, 4, t, function (o) { ev.push(m.name + " processed " + partName(m.processed[o + 1]) + " offsets " + m.processed[o + 2] + "–" + (m.processed[o + 2] + m.processed[o + 3] - 1)); });
      each(m.commits, 4, t, function (o) { ev.push(m.name + " committed " + partName(m.commits[o + 1]) + " at " + m.commits[o + 2] + (m.commits[o + 3] ? "" : " (failed)")); });
    });
    D.faults.forEach(function (f) { if (f.at === t) ev.push("fault: " + f.action + " " + f.target + " (" + f.trigger + ")"); if (f.until === t) ev.push("healed: " + f.action + " " + f.target); });
    if (ev.length) h.push("<div>client and fault events:</div><pre>" + esc(ev.slice(0, 60).join("\n") + (ev.length > 60 ? "\n… " + (ev.length - 60) + " more" : "")) + "</pre>");
    h.push('<table class="mono" id="state"><tr><th>replica</th><th>LEO</th><th>HW</th><th>LSO</th><th>role</th></tr>');
    D.partitions.forEach(function (p) {
      p.replicas.forEach(function (r) {
        var role = "", lso = r.lso.length ? at(r.lso, t) : at(r.hw, t);
        for (var i = 0; i < r.role.length && r.role[i] <= t; i += 3) role = (r.role[i + 2] ? "leader" : "follower") + " e" + r.role[i + 1];
        h.push('<tr data-partition="' + esc(p.name) + '" data-broker="' + r.b + '" data-leo="' + at(r.leo, t) + '" data-hw="' + at(r.hw, t) + '"><td>' + esc(p.name) + " b" + r.b + "</td><td>" + at(r.leo, t) + "</td><td>" + at(r.hw, t) + "</td><td>" + lso + "</td><td>" + role + "</td></tr>");
      });
    });
    h.push("</table>");
    el.innerHTML = h.join("");
  }
  function pad(t) { var s = String(t); while (s.length < 9) s = " " + s; return s; }
  function each(arr, w, t, f) { for (var i = firstAtOrAfter(arr, w, t); i * w < arr.length && arr[i * w] === t; i++) f(i * w); }

  // offset inspector: every batch that ever stood at an offset, per replica
  function inspectOffset(pname, off) {
    var p = D.partitions.filter(function (x) { return x.name === pname; })[0];
    var el = document.getElementById("inspect");
    if (!p) { el.innerHTML = "<h2>Offset</h2>no partition " + esc(pname); return; }
    inspect = { p: p, off: off };
    var h = ["<h2>" + esc(pname) + " offset " + off + "</h2><ul>"], final = "";
    var finalLeader = 0;
    if (p.states.length) finalLeader = p.states[p.states.length - 3];
    p.replicas.forEach(function (r) {
      var b = r.bands;
      for (var i = 0; i < b.length; i += 9) {
        if (off < b[i] || off >= b[i] + b[i + 1]) continue;
        var rec = b[i + 5] & 6 ? (b[i + 5] & 2 ? "COMMIT marker" : "ABORT marker") : recName(b[i + 2], b[i + 4] + (off - b[i]));
        if (!b[i + 8] && (r.b === finalLeader || !final)) final = rec;
        h.push('<li class="held" data-broker="' + r.b + '" data-record="' + esc(rec) + '" data-from="' + b[i + 6] + '" data-until="' + (b[i + 8] || "") + '">broker ' + r.b + ": " + esc(rec) + " from " + b[i + 6] + " ms" + (b[i + 8] ? " until cut at " + b[i + 8] + " ms" : " to the end") + (b[i + 5] & 8 ? " (only this replica held it)" : "") + "</li>");
      }
    });
    h.push("</ul>");
    el.innerHTML = h.join("") + (final ? "<div>at the end: <b>" + esc(final) + "</b></div>" : "<div>at the end: no record</div>");
    el.setAttribute("data-partition", pname); el.setAttribute("data-offset", String(off)); el.setAttribute("data-record", final);
  }

  function showStory(i, fromList) {
    var s = D.stories[i]; if (!s) return;
    story = s;
    var el = document.getElementById("story");
    el.setAttribute("data-record", s.record);
    el.innerHTML = "<h2>Story of " + esc(s.record) + "</h2><ol>" + s.lines.slice(1).map(function (l) { return "<li>" + esc(l) + "</li>"; }).join("") + "</ol>";
    Array.prototype.forEach.call(document.querySelectorAll("#anomalies li"), function (li) {
      li.classList.toggle("selected", li.getAttribute("data-story") === String(i));
    });
    if (!fromList) { var li = document.querySelector('#anomalies li[data-story="' + i + '"]'); if (li) li.scrollIntoView({ block: "nearest" }); }
    draw();
  }
  function explainRecord(name) {
    for (var i = 0; i < D.stories.length; i++) if (D.stories[i].record === name) { showStory(i); return true; }
    var el = document.getElementById("story");
    el.setAttribute("data-record", "");
    el.innerHTML = "<h2>Story</h2>" + esc(name) + " has no finding on this page: run with --explain " + esc(name) + ".";
    return false;
  }

  // --- lists below the chart ---
  function lists() {
    var h = [];
    D.anomalies.forEach(function (a, i) {
      h.push('<li class="anomaly" data-kind="' + esc(a.kind) + '" data-subject="' + esc(a.subject) + '"' + (a.story != null ? ' data-story="' + a.story + '" data-record="' + esc(D.stories[a.story].record) + '"' : "") + '><span class="kind">' + esc(a.kind) + "</span> " + esc(a.text) + "</li>");
    });
    document.getElementById("anomaly-list").innerHTML = h.join("") || "<li>no anomaly</li>";
    h = [];
    D.partitions.forEach(function (p) {
      p.replicas.forEach(function (r) {
        for (var i = 0; i < r.cuts.length; i += 4) h.push('<li class="cut" data-partition="' + esc(p.name) + '" data-broker="' + r.b + '" data-at="' + r.cuts[i] + '" data-from="' + r.cuts[i + 1] + '" data-to="' + r.cuts[i + 2] + '" data-cause="' + (r.cuts[i + 3] ? "power-loss" : "truncation") + '">' + r.cuts[i] + " ms: broker " + r.b + (r.cuts[i + 3] ? " lost power: " : " truncated ") + esc(p.name) + ", offsets " + r.cuts[i + 1] + "–" + r.cuts[i + 2] + " cut</li>");
        for (i = 0; i < r.alone.length; i += 4) h.push('<li class="alone" data-partition="' + esc(p.name) + '" data-broker="' + r.b + '" data-from="' + r.alone[i] + '" data-to="' + r.alone[i + 1] + '" data-since="' + r.alone[i + 2] + '" data-until="' + (r.alone[i + 3] || "") + '">broker ' + r.b + " alone held " + esc(p.name) + " offsets " + r.alone[i] + "–" + r.alone[i + 1] + " (from " + r.alone[i + 2] + " ms" + (r.alone[i + 3] ? ", cut at " + r.alone[i + 3] + " ms)" : ", never cut)") + "</li>");
      });
    });
    document.getElementById("cut-list").innerHTML = h.join("") || "<li>no replica lost records</li>";
    h = ['<tr><th>at</th><th>until</th><th>fault</th><th>target</th><th>trigger</th></tr>'];
    D.faults.forEach(function (f) { h.push('<tr class="faultrow" data-action="' + esc(f.action) + '"><td>' + f.at + " ms</td><td>" + (f.until == null ? "—" : f.until + " ms") + "</td><td>" + esc(f.action) + "</td><td>" + esc(f.target) + "</td><td>" + esc(f.trigger) + "</td></tr>"); });
    document.getElementById("fault-table").innerHTML = h.join("");
    document.getElementById("anomaly-list").addEventListener("click", function (e) {
      var li = e.target.closest("li[data-story]"); if (!li) return;
      showStory(Number(li.getAttribute("data-story")), true);
      history.replaceState(null, "", "#explain=" + encodeURIComponent(li.getAttribute("data-record")));
    });
  }

  // --- interaction ---
  var drag = null;
  chart.addEventListener("wheel", function (e) {
    e.preventDefault();
    var t = T(e.offsetX), k = e.deltaY > 0 ? 1.25 : 0.8;
    zoomAround(t, k);
  }, { passive: false });
  function zoomAround(t, k) {
    var span = Math.max(2, Math.min(END, (view.t1 - view.t0) * k));
    view.t0 = Math.max(0, Math.min(END - span, t - (t - view.t0) * span / (view.t1 - view.t0)));
    view.t1 = view.t0 + span; draw();
  }
  chart.addEventListener("mousedown", function (e) { drag = { x: e.clientX, t0: view.t0, t1: view.t1, moved: false }; });
  window.addEventListener("mousemove", function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x; if (Math.abs(dx) > 3) drag.moved = true;
    var dt = dx / (width() - LABEL - 10) * (drag.t1 - drag.t0);
    var span = drag.t1 - drag.t0; view.t0 = Math.max(0, Math.min(END - span, drag.t0 - dt)); view.t1 = view.t0 + span; draw();
  });
  window.addEventListener("mouseup", function (e) {
    if (drag && !drag.moved) click(e);
    drag = null;
  });
  function click(e) {
    var rect = svg.getBoundingClientRect(), x = e.clientX - rect.left, y = e.clientY - rect.top;
    if (x < LABEL) return;
    var t = Math.round(T(x));
    var row = rows.filter(function (r) { return y >= r.y && y < r.y + r.h; })[0];
    if (row && row.kind === "replica") {
      var top = Math.max(row.p.top, 1), off = Math.floor((row.y + row.h - 2 - y) / (row.h - 8) * top);
      if (off >= 0 && off < row.p.top) inspectOffset(row.p.name, off);
    }
    setCursor(steps[stepIndex(t)], true);
  }
  scrub.addEventListener("input", function () { setCursor(steps[Number(scrub.value)]); });
  document.getElementById("prev").onclick = function () { setCursor(steps[Math.max(0, stepIndex(cursor == null ? 0 : cursor) - 1)]); };
  document.getElementById("next").onclick = function () { var i = cursor == null ? 0 : stepIndex(cursor) + 1; setCursor(steps[Math.min(steps.length - 1, i)]); };
  document.getElementById("zin").onclick = function () { zoomAround(cursor == null ? (view.t0 + view.t1) / 2 : cursor, 0.5); };
  document.getElementById("zout").onclick = function () { zoomAround(cursor == null ? (view.t0 + view.t1) / 2 : cursor, 2); };
  document.getElementById("fit").onclick = function () { view.t0 = 0; view.t1 = END; draw(); };
  window.addEventListener("keydown", function (e) {
    if (e.target && e.target.tagName === "INPUT" && e.target.type !== "range") return;
    if (e.key === "ArrowRight") { document.getElementById("next").onclick(); e.preventDefault(); }
    else if (e.key === "ArrowLeft") { document.getElementById("prev").onclick(); e.preventDefault(); }
  });
  window.addEventListener("resize", draw);

  // URL hash: #explain=p1#299, #offset=orders/0@299, #t=400, #zoom=300-11000 (joined with &)
  function applyHash() {
    var h = location.hash.replace(/^#/, ""); if (!h) return;
    h.split("&").forEach(function (part) {
      var eq = part.indexOf("="); if (eq < 0) return;
      var k = part.slice(0, eq), v = decodeURIComponent(part.slice(eq + 1));
      if (k === "explain") explainRecord(v);
      else if (k === "offset") { var a = v.lastIndexOf("@"); inspectOffset(v.slice(0, a), Number(v.slice(a + 1))); }
      else if (k === "t") setCursor(steps[stepIndex(Number(v))]);
      else if (k === "zoom") { var z = v.split("-").map(Number); if (z[1] > z[0]) { view.t0 = z[0]; view.t1 = z[1]; } }
    });
    draw();
  }
  window.addEventListener("hashchange", applyHash);

  lists();
  draw();
  showStep(steps[0]);
  applyHash();
  status.setAttribute("data-ready", "1");
  status.setAttribute("data-ms", String(Math.round(performance.now())));
  if (!errors.length) status.textContent = "";
})();
