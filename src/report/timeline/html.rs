//! The page: a fixed skeleton, the run's data as one JSON blob in `<script type="application/json">`
//! (written by `json.rs`), and the inline stylesheet and script that draw it. No network, no
//! external file.

use super::model::Page;
use super::svg::{escape, legend_svg};

const CSS: &str = include_str!("page.css");
const JS: &str = include_str!("page.js");

/// The whole page for `page`.
pub fn render(page: &Page) -> String {
    let counts: String = if page.counts.is_empty() {
        "<span class=\"badge ok\">no anomaly</span>".to_string()
    } else {
        page.counts.iter().map(|(k, n)| format!("<span class=\"badge bad\">{} {n}</span>", escape(k))).collect()
    };
    let expect = if page.passed {
        "<span class=\"badge ok\">[expect] passed</span>"
    } else {
        "<span class=\"badge bad\">[expect] failed</span>"
    };
    let title = escape(&page.title);
    // The data is most of a long run's page: about 4 bytes per number, the trace lines as they are.
    let numbers = page
        .partitions
        .iter()
        .flat_map(|p| &p.replicas)
        .map(|r| r.bands.len() + r.leo.len() + r.hw.len())
        .chain(page.senders.iter().map(|l| l.sends.len() + l.acks.len()))
        .chain(page.members.iter().map(|l| l.polls.len() + l.processed.len() + l.commits.len()))
        .sum::<usize>();
    let lines = page.lines.iter().map(|l| l.len() + 3).sum::<usize>();
    let data = numbers * 4 + lines + page.line_at.len() * 3 + 65_536;
    let mut s = String::with_capacity(CSS.len() + JS.len() + data);
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    s.push_str(&format!("<title>{title} (seed {}) · kafkasim timeline</title>\n", page.seed));
    s.push_str("<style>\n");
    s.push_str(CSS);
    s.push_str("</style>\n</head>\n<body>\n");
    s.push_str(&format!(
        "<header><h1>{title}</h1><div class=\"meta\">seed {} · trace_hash {} · {} ms · {} events</div>\
         <div>{counts}{expect}</div><p class=\"desc\">{}</p></header>\n",
        page.seed,
        escape(&page.hash),
        page.end,
        page.events,
        escape(&page.description)
    ));
    s.push_str(
        "<div id=\"controls\"><button id=\"prev\" title=\"previous step (←)\">◀</button>\
         <input id=\"scrub\" type=\"range\" min=\"0\" max=\"0\" value=\"0\" aria-label=\"virtual time, step by step\">\
         <button id=\"next\" title=\"next step (→)\">▶</button><span id=\"now\">click the chart or drag the scrubber</span>\
         <button id=\"zin\" title=\"zoom in\">+</button><button id=\"zout\" title=\"zoom out\">−</button>\
         <button id=\"fit\" title=\"the whole run\">fit</button></div>\n",
    );
    s.push_str(
        "<div id=\"main\"><div id=\"chart\"><svg id=\"svg\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" \
         aria-label=\"timeline\"></svg></div>\n<aside id=\"side\"><section id=\"story\"></section>\
         <section id=\"inspect\"><h2>Offset</h2>click a replica lane to see every record that stood at that offset</section>\
         <section id=\"step\"></section></aside></div>\n",
    );
    s.push_str(
        "<section class=\"list\" id=\"anomalies\"><h2>Anomalies (click one to see its record's story)</h2>\
         <ul id=\"anomaly-list\"></ul></section>\n",
    );
    s.push_str(
        "<section class=\"list\" id=\"cuts\"><h2>Records lost from a replica</h2><ul id=\"cut-list\"></ul></section>\n",
    );
    s.push_str("<section class=\"list\" id=\"faults\"><h2>Faults</h2><table id=\"fault-table\"></table></section>\n");
    s.push_str(&format!(
        "<section class=\"list\" id=\"legend\"><h2>Legend</h2>{}</section>\n",
        legend_svg(&page.producers)
    ));
    s.push_str(
        "<div id=\"status\" data-errors=\"0\" data-ready=\"0\" class=\"mono\">the page needs JavaScript</div>\n",
    );
    s.push_str("<script type=\"application/json\" id=\"data\">");
    let mut b = s.into_bytes();
    super::json::write(&mut b, page);
    b.extend_from_slice(b"</script>\n<script>\n");
    b.extend_from_slice(JS.as_bytes());
    b.extend_from_slice(b"</script>\n</body>\n</html>\n");
    String::from_utf8(b).expect("the page is UTF-8")
}
