//! The static picture (`--svg`): the page's lanes over the whole run, drawn without a script,
//! in the page's geometry and palette, with the legend and the first findings underneath.

use std::fmt::Write;

use super::model::{Page, ReplicaView, ABORT, BAND, COMMIT, TXN};

/// Okabe-Ito: the colour-blind-safe palette the page and the picture share.
pub const ORANGE: &str = "#E69F00";
const SKY: &str = "#56B4E9";
const GREEN: &str = "#009E73";
const YELLOW: &str = "#F0E442";
const BLUE: &str = "#0072B2";
const RED: &str = "#D55E00";
const PURPLE: &str = "#CC79A7";
/// Producer colours, by producer index.
const PRODUCER: [&str; 8] = [BLUE, ORANGE, SKY, PURPLE, YELLOW, "#7a7a7a", GREEN, "#3d3d8f"];

const WIDTH: f64 = 1400.0;
const LABEL: f64 = 118.0;
const LANE: f64 = 74.0;
const HEAD: f64 = 20.0;
const SLANE: f64 = 26.0;
const MLANE: f64 = 30.0;
const AXIS: f64 = 56.0;
const GAP: f64 = 10.0;

/// `s` with `&`, `<`, `>` and `"` escaped for XML text and attributes.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            c => o.push(c),
        }
    }
    o
}

fn colour(p: u64) -> &'static str {
    if p == u64::MAX {
        "#888"
    } else {
        PRODUCER[p as usize % PRODUCER.len()]
    }
}

/// The patterns both renderings use: transactional hatching per producer colour and one per fault.
fn defs() -> String {
    let mut s = String::from("<defs>");
    for (i, c) in PRODUCER.iter().enumerate() {
        let _ = write!(
            s,
            "<pattern id=\"txn-{i}\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
             <rect width=\"6\" height=\"6\" fill=\"{c}\" fill-opacity=\"0.55\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" \
             stroke=\"#fff\" stroke-width=\"2\"/></pattern>"
        );
    }
    s.push_str(FAULT_PATTERNS);
    s.push_str("</defs>");
    s
}

const FAULT_PATTERNS: &str = "<pattern id=\"f-crash\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"#d9d9d9\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#aaa\" stroke-width=\"3\"/></pattern>\
<pattern id=\"f-power\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(-45)\"><rect width=\"8\" height=\"8\" fill=\"#c8c8c8\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#777\" stroke-width=\"4\"/></pattern>\
<pattern id=\"f-pause\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\"><rect width=\"6\" height=\"6\" fill=\"#f3eccc\"/><circle cx=\"3\" cy=\"3\" r=\"1.2\" fill=\"#b59a00\"/></pattern>\
<pattern id=\"f-isolate\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\"><rect width=\"8\" height=\"8\" fill=\"#dcecf7\"/><line x1=\"0\" y1=\"4\" x2=\"8\" y2=\"4\" stroke=\"#56B4E9\" stroke-width=\"2\"/></pattern>\
<pattern id=\"f-partition\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\"><rect width=\"8\" height=\"8\" fill=\"#f6e1ee\"/><line x1=\"4\" y1=\"0\" x2=\"4\" y2=\"8\" stroke=\"#CC79A7\" stroke-width=\"2\"/></pattern>";

fn fault_pattern(action: &str) -> &'static str {
    match action {
        "power-loss" => "f-power",
        "pause" => "f-pause",
        "isolate" => "f-isolate",
        "partition" => "f-partition",
        _ => "f-crash",
    }
}

/// The legend's entries: a swatch (SVG shapes in a 26×14 box) and its words; `page` adds what
/// only the page draws.
fn legend_items(producers: &[String], page: bool) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = producers
        .iter()
        .enumerate()
        .take(8)
        .map(|(i, p)| {
            let c = PRODUCER[i % PRODUCER.len()];
            (
                format!("<rect x=\"1\" y=\"2\" width=\"24\" height=\"10\" fill=\"{c}\" fill-opacity=\"0.55\"/>"),
                format!("batches of {p}"),
            )
        })
        .collect();
    let items: [(&str, &str); 14] = [
        ("<rect x=\"1\" y=\"2\" width=\"24\" height=\"10\" fill=\"url(#txn-0)\"/>", "batches written in a transaction (hatched)"),
        ("<line x1=\"1\" y1=\"7\" x2=\"25\" y2=\"7\" stroke=\"#009E73\" stroke-width=\"2\"/>", "COMMIT marker"),
        ("<line x1=\"1\" y1=\"7\" x2=\"25\" y2=\"7\" stroke=\"#D55E00\" stroke-width=\"2\"/>", "ABORT marker"),
        ("<line x1=\"1\" y1=\"7\" x2=\"25\" y2=\"7\" stroke=\"#000\" stroke-width=\"1.6\"/>", "high watermark"),
        ("<line x1=\"1\" y1=\"7\" x2=\"25\" y2=\"7\" stroke=\"#555\" stroke-dasharray=\"3 2\"/>", "log end offset"),
        ("<line x1=\"1\" y1=\"7\" x2=\"25\" y2=\"7\" stroke=\"#CC79A7\" stroke-width=\"1.6\" stroke-dasharray=\"1 2\"/>", "last stable offset"),
        ("<rect x=\"1\" y=\"1\" width=\"24\" height=\"4\" fill=\"#222\"/>", "the replica believes it leads"),
        ("<rect x=\"2\" y=\"2\" width=\"22\" height=\"10\" fill=\"none\" stroke=\"#CC79A7\" stroke-width=\"1.5\" stroke-dasharray=\"4 2\"/>", "offsets no other replica ever held"),
        ("<line x1=\"13\" y1=\"1\" x2=\"13\" y2=\"13\" stroke=\"#D55E00\" stroke-width=\"3\"/>", "cut: truncation (✂) or power loss (⚡)"),
        ("<rect x=\"1\" y=\"1\" width=\"24\" height=\"12\" fill=\"url(#f-crash)\"/>", "crash"),
        ("<rect x=\"1\" y=\"1\" width=\"24\" height=\"12\" fill=\"url(#f-power)\"/>", "power loss"),
        ("<rect x=\"1\" y=\"1\" width=\"24\" height=\"12\" fill=\"url(#f-pause)\"/>", "pause"),
        ("<rect x=\"1\" y=\"1\" width=\"24\" height=\"12\" fill=\"url(#f-isolate)\"/>", "isolation"),
        ("<rect x=\"1\" y=\"1\" width=\"24\" height=\"12\" fill=\"url(#f-partition)\"/>", "network partition"),
    ];
    v.extend(items.iter().map(|(a, b)| (a.to_string(), b.to_string())));
    let clients: [(&str, &str); 6] = [
        ("<rect x=\"1\" y=\"1\" width=\"6\" height=\"6\" fill=\"#999\"/>", "sends (above the line)"),
        ("<rect x=\"1\" y=\"7\" width=\"6\" height=\"6\" fill=\"#009E73\"/>", "acknowledged"),
        ("<rect x=\"1\" y=\"7\" width=\"6\" height=\"6\" fill=\"#D55E00\"/>", "failed"),
        ("<rect x=\"1\" y=\"7\" width=\"6\" height=\"6\" fill=\"#E69F00\"/>", "indeterminate"),
        ("<rect x=\"1\" y=\"2\" width=\"6\" height=\"10\" fill=\"#56B4E9\"/><rect x=\"9\" y=\"2\" width=\"6\" height=\"10\" fill=\"#0072B2\"/>", "polled, processed"),
        ("<path d=\"M6 2l3 4l-3 4l-3 -4Z\" fill=\"#009E73\"/><path d=\"M16 2l5 5l-5 5Z\" fill=\"#444\"/>", "offset commit; member start"),
    ];
    v.extend(clients.iter().map(|(a, b)| (a.to_string(), b.to_string())));
    if page {
        let groups: [(&str, &str); 2] = [
            (
                "<line x1=\"1\" y1=\"7\" x2=\"25\" y2=\"7\" stroke=\"#56B4E9\" stroke-width=\"1.2\" stroke-dasharray=\"6 2\"/>",
                "a group's position on a partition (the end of its last poll)",
            ),
            (
                "<line x1=\"1\" y1=\"7\" x2=\"25\" y2=\"7\" stroke=\"#009E73\" stroke-width=\"1.4\" stroke-dasharray=\"6 2 1 2\"/>",
                "a group's committed offset on a partition",
            ),
        ];
        v.extend(groups.iter().map(|(a, b)| (a.to_string(), b.to_string())));
    }
    v
}

/// The legend as HTML: one small inline SVG per entry.
pub fn legend_svg(producers: &[String]) -> String {
    let mut s = format!("<svg width=\"0\" height=\"0\" style=\"position:absolute\">{}</svg>", defs());
    for (swatch, words) in legend_items(producers, true) {
        let _ =
            write!(s, "<span class=\"item\"><svg width=\"26\" height=\"14\">{swatch}</svg> {}</span>", escape(&words));
    }
    s
}

/// Geometry of the picture: the whole run across the plot.
struct Geo {
    end: f64,
}

impl Geo {
    fn x(&self, t: u64) -> f64 {
        LABEL + t as f64 / self.end * (WIDTH - LABEL - 10.0)
    }
}

fn y_of(top: u64, y: f64, off: u64) -> f64 {
    y + LANE - 2.0 - off as f64 / top.max(1) as f64 * (LANE - 8.0)
}

/// Absolute (time, value) pairs from a delta-encoded series.
fn undelta(flat: &[u64], width: usize) -> Vec<u64> {
    let mut out = flat.to_vec();
    let mut t = 0;
    for tuple in out.chunks_mut(width) {
        t += tuple[0];
        tuple[0] = t;
    }
    out
}

fn step_path(s: &mut String, g: &Geo, top: u64, y: f64, series: &[u64], style: &str) {
    if series.is_empty() {
        return;
    }
    let pts = undelta(series, 2);
    let mut d = String::new();
    // Half-pixel steps: a change too small to see draws nothing, and a flat stretch is one H.
    let mut cur = f64::NAN;
    for (i, p) in pts.chunks(2).enumerate() {
        let px = (g.x(p[0]) * 2.0).round() / 2.0;
        let py = (y_of(top, y, p[1]) * 2.0).round() / 2.0;
        if i == 0 {
            let _ = write!(d, "M{px} {py}");
        } else if py != cur {
            let _ = write!(d, "H{px}V{py}");
        }
        cur = py;
    }
    let _ = write!(d, "H{:.1}", g.x(g.end as u64));
    let _ = write!(s, "<path d=\"{d}\" fill=\"none\" {style}/>");
}

fn replica(s: &mut String, g: &Geo, page: &Page, name: &str, top: u64, y: f64, r: &ReplicaView) {
    let _ = write!(s, "<g class=\"lane replica\" data-partition=\"{}\" data-broker=\"{}\">", escape(name), r.b);
    let _ = write!(s, "<text class=\"l\" x=\"4\" y=\"{:.0}\">broker {}</text>", y + 14.0, r.b);
    let _ = write!(s, "<text class=\"s\" x=\"4\" y=\"{:.0}\">top offset {top}</text>", y + 28.0);
    for f in page.faults.iter().filter(|f| f.brokers.contains(&r.b)) {
        fault_rect(s, g, f, y, LANE);
    }
    for w in r.role.chunks(3).enumerate().filter(|(_, c)| c[2] == 1) {
        let (i, c) = w;
        let t2 = r.role.get(i * 3 + 3).copied().unwrap_or(g.end as u64);
        let (x1, x2) = (g.x(c[0]), g.x(t2));
        let _ = write!(
            s,
            "<rect x=\"{x1:.1}\" y=\"{y:.0}\" width=\"{:.1}\" height=\"4\" fill=\"#222\"/>",
            (x2 - x1).max(1.0)
        );
    }
    // Bands merged by producer, transaction flag and fate while offsets run on.
    let mut cur: Option<[u64; 7]> = None; // base, end, producer, txn, tin, tlast, cut
    let flush = |s: &mut String, c: Option<[u64; 7]>| {
        let Some([base, end, p, txn, tin, tlast, cut]) = c else { return };
        let (xi, xl, xc) = (g.x(tin), g.x(tlast), g.x(if cut == 0 { g.end as u64 } else { cut }));
        let (yb, ye) = (y_of(top, y, base), y_of(top, y, end));
        let fill = if txn == 1 { format!("url(#txn-{})", p as usize % PRODUCER.len()) } else { colour(p).to_string() };
        let stroke = if cut > 0 { RED } else { "none" };
        let _ = write!(
            s,
            "<path d=\"M{xi:.1} {yb:.1}L{xc:.1} {yb:.1}L{xc:.1} {ye:.1}L{xl:.1} {ye:.1}Z\" fill=\"{fill}\" fill-opacity=\"0.55\" stroke=\"{stroke}\" stroke-width=\"0.8\"/>"
        );
    };
    let mut markers = Vec::new();
    for b in r.bands.chunks(BAND) {
        let [base, len, p, _inst, _first, flags, tin, tlast, cut] = b.try_into().expect("a band");
        if flags & (COMMIT | ABORT) != 0 {
            markers.push(b);
            continue;
        }
        let txn = u64::from(flags & TXN != 0);
        match cur.as_mut() {
            Some(c) if c[2] == p && c[3] == txn && c[6] == cut && c[1] == base && g.x(tin) - g.x(c[5]) < 3.0 => {
                c[1] = base + len;
                c[5] = tlast;
            }
            _ => {
                flush(s, cur.take());
                cur = Some([base, base + len, p, txn, tin, tlast, cut]);
            }
        }
    }
    flush(s, cur.take());
    if markers.len() < 4000 {
        for b in markers {
            let yy = y_of(top, y, b[0]) - 0.5;
            let c = if b[5] & COMMIT != 0 { GREEN } else { RED };
            let x2 = g.x(if b[8] == 0 { g.end as u64 } else { b[8] });
            let _ = write!(
                s,
                "<line x1=\"{:.1}\" x2=\"{x2:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"{c}\" stroke-width=\"1.6\"/>",
                g.x(b[6])
            );
        }
    }
    for a in r.alone.chunks(4) {
        let (x1, x2) = (g.x(a[2]), g.x(if a[3] == 0 { g.end as u64 } else { a[3] }));
        let (y1, y2) = (y_of(top, y, a[1] + 1), y_of(top, y, a[0]));
        let _ = write!(
            s,
            "<rect class=\"alone\" data-broker=\"{}\" data-from=\"{}\" data-to=\"{}\" x=\"{x1:.1}\" y=\"{y1:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"none\" stroke=\"{PURPLE}\" stroke-width=\"1.5\" stroke-dasharray=\"4 2\"/>",
            r.b,
            a[0],
            a[1],
            (x2 - x1).max(1.0),
            (y2 - y1).max(1.5)
        );
    }
    step_path(s, g, top, y, &r.leo, "stroke=\"#555\" stroke-dasharray=\"3 2\"");
    step_path(s, g, top, y, &r.hw, "stroke=\"#000\" stroke-width=\"1.6\"");
    step_path(s, g, top, y, &r.lso, &format!("stroke=\"{PURPLE}\" stroke-width=\"1.6\" stroke-dasharray=\"1 2\""));
    for c in r.cuts.chunks(4) {
        let x = g.x(c[0]);
        let (y1, y2) = (y_of(top, y, c[2] + 1), y_of(top, y, c[1]));
        let sign = if c[3] == 1 { "⚡" } else { "✂" };
        let (tx, anchor) = if x > WIDTH - 90.0 { (x - 3.0, "end") } else { (x + 3.0, "start") };
        let _ = write!(
            s,
            "<g class=\"cut\" data-broker=\"{}\" data-at=\"{}\" data-from=\"{}\" data-to=\"{}\"><line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{y1:.1}\" y2=\"{y2:.1}\" stroke=\"{RED}\" stroke-width=\"3\"/><text class=\"s\" x=\"{tx:.1}\" y=\"{:.1}\" fill=\"{RED}\" text-anchor=\"{anchor}\">{sign} {}–{}</text></g>",
            r.b,
            c[0],
            c[1],
            c[2],
            y1 + 9.0,
            c[1],
            c[2]
        );
    }
    s.push_str("</g>");
}

fn fault_rect(s: &mut String, g: &Geo, f: &super::model::FaultView, y: f64, h: f64) {
    let (x1, x2) = (g.x(f.at), g.x(f.until.unwrap_or(g.end as u64)));
    let _ = write!(
        s,
        "<rect class=\"fault\" x=\"{x1:.1}\" y=\"{y:.0}\" width=\"{:.1}\" height=\"{h:.0}\" fill=\"url(#{})\"/>",
        (x2 - x1).max(1.5),
        fault_pattern(&f.action)
    );
}

/// Bars of counts per 2-px bin, square-root scaled: up from `y` or down from it.
#[allow(clippy::too_many_arguments)]
fn histogram(s: &mut String, g: &Geo, flat: &[u64], width: usize, count_at: usize, y: f64, h: f64, c: &str, up: bool) {
    let pts = undelta(flat, width);
    let mut bins: std::collections::BTreeMap<i64, u64> = std::collections::BTreeMap::new();
    for p in pts.chunks(width) {
        *bins.entry(((g.x(p[0]) - LABEL) / 3.0).floor() as i64).or_default() += p[count_at];
    }
    let max = bins.values().copied().max().unwrap_or(1).max(1) as f64;
    let mut d = String::new();
    for (k, n) in bins {
        let x = LABEL + k as f64 * 3.0;
        let v = (((n as f64 / max).sqrt() * h).max(2.0) * 2.0).round() / 2.0;
        let top = if up { y - v } else { y };
        let _ = write!(d, "M{x} {top}h3v{v}h-3Z");
    }
    if !d.is_empty() {
        let _ = write!(s, "<path d=\"{d}\" fill=\"{c}\"/>");
    }
}

/// The picture of `page`.
pub fn render(page: &Page) -> String {
    let g = Geo { end: page.end.max(1) as f64 };
    let mut body = String::new();
    let mut y = AXIS;
    // Time axis.
    let span = g.end;
    // The smallest of 1, 2, 5, 10, 20, 50, ... ms that gives at most 12 ticks (integers only:
    // the picture is the same on every machine).
    let mut step = 1u64;
    let mut k = 0;
    while span as u64 / step > 12 {
        step = [2, 5, 10][k % 3] * 10u64.pow(k as u32 / 3);
        k += 1;
    }
    let step = step as f64;
    let axis_at = body.len();
    let mut t = 0.0;
    let mut ticks = String::new();
    while t <= span {
        let x = g.x(t as u64);
        let _ = write!(
            ticks,
            "<text class=\"s\" x=\"{x:.1}\" y=\"{:.0}\" text-anchor=\"middle\">{t} ms</text>",
            AXIS - 3.0
        );
        t += step;
    }
    for p in &page.partitions {
        let _ = write!(
            body,
            "<text class=\"l\" font-weight=\"600\" x=\"4\" y=\"{:.0}\">{}</text>",
            y + 14.0,
            escape(&p.name)
        );
        for (i, st) in p.states.chunks(4).enumerate() {
            let t2 = p.states.get(i * 4 + 4).copied().unwrap_or(page.end);
            let (x1, x2) = (g.x(st[0]), g.x(t2));
            let isr: Vec<String> = (0..63).filter(|b| st[3] >> b & 1 == 1).map(|b: u64| b.to_string()).collect();
            let leader = if st[1] == 0 { "offline".to_string() } else { format!("leader {}", st[1]) };
            let fill = if st[1] == 0 { "#fbe3d6" } else { "#e8f1f8" };
            let _ = write!(
                body,
                "<rect x=\"{x1:.1}\" y=\"{:.0}\" width=\"{:.1}\" height=\"{:.0}\" fill=\"{fill}\" stroke=\"#9bb\"/>",
                y + 2.0,
                (x2 - x1).max(1.0),
                HEAD - 4.0
            );
            if x2 - x1 > 110.0 {
                let _ = write!(
                    body,
                    "<text class=\"s\" x=\"{:.1}\" y=\"{:.0}\">{leader} · epoch {} · ISR {}</text>",
                    x1 + 3.0,
                    y + 14.0,
                    st[2],
                    isr.join(",")
                );
            }
        }
        y += HEAD;
        for r in &p.replicas {
            let _ = write!(
                body,
                "<rect x=\"{LABEL}\" y=\"{y:.0}\" width=\"{:.0}\" height=\"{LANE}\" fill=\"#fafafa\" stroke=\"#ddd\"/>",
                WIDTH - LABEL - 10.0
            );
            replica(&mut body, &g, page, &p.name, p.top, y, r);
            y += LANE + 3.0;
        }
        y += GAP;
    }
    let hit = |f: &super::model::FaultView, name: &str| {
        f.clients.iter().any(|c| if c.ends_with('/') { name.starts_with(c.as_str()) } else { name == c })
    };
    if !page.senders.is_empty() {
        let _ = write!(body, "<text class=\"l\" font-weight=\"600\" x=\"4\" y=\"{:.0}\">producers</text>", y + 12.0);
        y += 16.0;
    }
    for sl in &page.senders {
        let mid = y + SLANE / 2.0;
        let _ = write!(
            body,
            "<rect x=\"{LABEL}\" y=\"{y:.0}\" width=\"{:.0}\" height=\"{SLANE}\" fill=\"#fafafa\" stroke=\"#ddd\"/>",
            WIDTH - LABEL - 10.0
        );
        for f in page.faults.iter().filter(|f| hit(f, &sl.name)) {
            fault_rect(&mut body, &g, f, y, SLANE);
        }
        let out = if sl.output { " (out)" } else { "" };
        let _ = write!(body, "<text class=\"l\" x=\"4\" y=\"{:.0}\">{}{out}</text>", y + 16.0, escape(&sl.name));
        histogram(&mut body, &g, &sl.sends, 3, 2, mid, SLANE / 2.0 - 2.0, "#999", true);
        histogram(&mut body, &g, &sl.acks, 6, 2, mid, SLANE / 2.0 - 2.0, GREEN, false);
        let fails = undelta(&sl.fails, 4);
        for (indet, c) in [(0, RED), (1, ORANGE)] {
            let mut picked: Vec<u64> = fails.chunks(4).filter(|f| f[3] == indet).flatten().copied().collect();
            let mut last = 0;
            for tuple in picked.chunks_mut(4) {
                let t = tuple[0];
                tuple[0] -= last;
                last = t;
            }
            histogram(&mut body, &g, &picked, 4, 2, mid, SLANE / 2.0 - 2.0, c, false);
        }
        for tx in undelta(&sl.txns, 4).chunks(4) {
            let c = if tx[2] == 1 { GREEN } else { RED };
            let mark = if tx[2] == 1 { "C" } else { "A" };
            let _ = write!(
                body,
                "<text x=\"{:.1}\" y=\"{:.0}\" font-size=\"9\" text-anchor=\"middle\" fill=\"{c}\">{mark}</text>",
                g.x(tx[0]),
                y + 9.0
            );
        }
        y += SLANE + 2.0;
    }
    if !page.members.is_empty() {
        y += GAP;
        let _ = write!(
            body,
            "<text class=\"l\" font-weight=\"600\" x=\"4\" y=\"{:.0}\">consumer group members</text>",
            y + 12.0
        );
        y += 16.0;
    }
    let part_name = |idx: u32| {
        page.partitions.iter().find(|p| p.idx == idx).map_or_else(|| format!("partition{idx}"), |p| p.name.clone())
    };
    for m in &page.members {
        let _ = write!(
            body,
            "<rect x=\"{LABEL}\" y=\"{y:.0}\" width=\"{:.0}\" height=\"{MLANE}\" fill=\"#fafafa\" stroke=\"#ddd\"/>",
            WIDTH - LABEL - 10.0
        );
        for f in page.faults.iter().filter(|f| hit(f, &m.name)) {
            fault_rect(&mut body, &g, f, y, MLANE);
        }
        let _ = write!(body, "<text class=\"l\" x=\"4\" y=\"{:.0}\">{}</text>", y + 13.0, escape(&m.name));
        let _ = write!(body, "<text class=\"s\" x=\"4\" y=\"{:.0}\">group {}</text>", y + 25.0, escape(&m.group));
        for (i, (t, gen, parts)) in m.assigned.iter().enumerate() {
            let t2 = m.assigned.get(i + 1).map_or(page.end, |a| a.0);
            let (x1, x2) = (g.x(*t), g.x(t2));
            let _ = write!(
                body,
                "<rect x=\"{x1:.1}\" y=\"{:.0}\" width=\"{:.1}\" height=\"9\" fill=\"#e8f1f8\" stroke=\"#9bb\"/>",
                y + 1.0,
                (x2 - x1).max(1.0)
            );
            if x2 - x1 > 50.0 {
                let names: Vec<String> = parts.iter().map(|&p| part_name(p)).collect();
                let _ = write!(
                    body,
                    "<text class=\"s\" font-size=\"8\" x=\"{:.1}\" y=\"{:.0}\">gen {gen}: {}</text>",
                    x1 + 2.0,
                    y + 8.0,
                    escape(&names.join(", "))
                );
            }
        }
        histogram(&mut body, &g, &m.polls, 4, 3, y + 20.0, 8.0, SKY, true);
        histogram(&mut body, &g, &m.processed, 4, 3, y + MLANE - 2.0, 8.0, BLUE, true);
        for c in undelta(&m.commits, 4).chunks(4) {
            let col = if c[3] == 1 { GREEN } else { RED };
            let _ = write!(body, "<path d=\"M{:.1} {:.0}l3 4l-3 4l-3 -4Z\" fill=\"{col}\"/>", g.x(c[0]), y + 11.0);
        }
        for &t in &m.started {
            let _ = write!(body, "<path d=\"M{:.1} {:.0}l5 5l-5 5Z\" fill=\"#444\"/>", g.x(t), y + 12.0);
        }
        y += MLANE + 2.0;
    }
    // Fault labels on two rows under the title, each where its row is free.
    let mut free = [0.0f64; 3];
    for f in &page.faults {
        let x = g.x(f.at);
        let label = format!("{} {}", f.action, f.target);
        let row = (0..2).find(|&r| free[r] <= x).unwrap_or(2);
        free[row] = x + label.chars().count() as f64 * 5.6 + 6.0;
        let top = AXIS - 36.0 + row as f64 * 10.0;
        let _ = write!(
            body,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top:.0}\" y2=\"{AXIS}\" stroke=\"{RED}\"/><text class=\"s\" x=\"{:.1}\" y=\"{:.0}\" fill=\"{RED}\">{}</text>",
            x + 2.0,
            top + 8.0,
            escape(&label)
        );
    }
    body.insert_str(axis_at, &ticks);
    // Legend, three entries a row... as many as fit a row of 1400 px.
    y += 14.0;
    let mut x = 4.0;
    for (swatch, words) in legend_items(&page.producers, false) {
        let w = 34.0 + words.chars().count() as f64 * 6.2;
        if x + w > WIDTH {
            x = 4.0;
            y += 18.0;
        }
        let _ = write!(
            body,
            "<g transform=\"translate({x:.0},{:.0})\">{swatch}<text class=\"s\" x=\"30\" y=\"11\">{}</text></g>",
            y,
            escape(&words)
        );
        x += w;
    }
    y += 26.0;
    let shown = page.anomalies.len().min(8);
    for a in &page.anomalies[..shown] {
        let text = format!("{}: {}", a.kind, a.text);
        let clipped: String = text.chars().take(220).collect();
        let _ = write!(body, "<text class=\"s\" x=\"4\" y=\"{y:.0}\">{}</text>", escape(&clipped));
        y += 14.0;
    }
    if page.anomalies.len() > shown {
        let _ = write!(
            body,
            "<text class=\"s\" x=\"4\" y=\"{y:.0}\">… and {} more findings</text>",
            page.anomalies.len() - shown
        );
        y += 14.0;
    }
    let height = y + 6.0;
    let mut s = String::with_capacity(body.len() + 4096);
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height:.0}\" viewBox=\"0 0 {WIDTH} {height:.0}\" font-family=\"sans-serif\">"
    );
    let _ = writeln!(s, "<title>{} (seed {})</title>", escape(&page.title), page.seed);
    s.push_str("<style>.l{font-size:11px;fill:#111}.s{font-size:10px;fill:#333}</style>\n");
    s.push_str(&defs());
    let _ = write!(s, "\n<rect width=\"{WIDTH}\" height=\"{height:.0}\" fill=\"#fff\"/>\n");
    let _ = writeln!(
        s,
        "<text x=\"4\" y=\"14\" font-size=\"13\" font-weight=\"600\">{} · seed {} · trace_hash {}</text>",
        escape(&page.title),
        page.seed,
        escape(&page.hash)
    );
    s.push_str(&body);
    s.push_str("\n</svg>\n");
    s
}
