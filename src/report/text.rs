//! Text rendering: the human summary of one seed's run. Plain ASCII decoration, columns aligned,
//! and nothing that varies between two runs of the same seed (no wall-clock times, no hash-map
//! order), so two reports diff cleanly.

use std::fmt::Write as _;

use super::Report;
use crate::record::Anomaly;

/// The human summary of a report: header, anomaly table, every finding's explanation grouped by
/// anomaly, producer, consumer and processor counts, partition states, semantic verdicts and the `[expect]`
/// outcome.
pub fn to_text(report: &Report) -> String {
    to_text_with(report, Some(TEXT_FINDINGS_PER_ANOMALY))
}

/// [`to_text`] with `per_anomaly` explanations per anomaly (`None`: every finding kept), and the
/// report's `explain` story at the end.
///
/// Control characters in the report (from a scenario's name, description or client names) are
/// written out (`\u{1b}`), so that a file cannot add lines to the report or drive a terminal.
pub fn to_text_with(report: &Report, per_anomaly: Option<usize>) -> String {
    let s = to_text_raw(report, per_anomaly);
    match crate::scenario::escape_controls_in_lines(&s) {
        std::borrow::Cow::Borrowed(_) => s,
        std::borrow::Cow::Owned(escaped) => escaped,
    }
}

fn to_text_raw(report: &Report, per_anomaly: Option<usize>) -> String {
    let mut s = String::new();
    header(&mut s, report);
    unsettled(&mut s, report);
    anomalies(&mut s, report);
    findings(&mut s, report, per_anomaly.unwrap_or(usize::MAX));
    evidence(&mut s, report);
    producers(&mut s, report);
    consumers(&mut s, report);
    processors(&mut s, report);
    partitions(&mut s, report);
    semantics(&mut s, report);
    expect(&mut s, report);
    if !report.explain.is_empty() {
        s.push_str("\nexplain ");
        for (i, line) in report.explain.iter().enumerate() {
            if i == 0 {
                s.push_str(line);
                s.push('\n');
            } else {
                wrap(&mut s, line, "  - ", "    ");
            }
        }
    }
    s
}

fn header(s: &mut String, r: &Report) {
    let _ = writeln!(s, "scenario: {}", crate::scenario::escape_controls(&r.scenario));
    if let Some(d) = r.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        for line in d.lines() {
            let _ = writeln!(s, "  {}", line.trim_end());
        }
    }
    let rows = vec![
        vec!["seed".to_string(), r.seed.to_string()],
        vec!["kafka".to_string(), r.kafka_version.clone()],
        vec!["trace_hash".to_string(), r.trace_hash.clone()],
        vec!["virtual time".to_string(), format!("{} ms", r.virtual_ms)],
        vec!["events".to_string(), r.events.to_string()],
    ];
    table(s, &rows, &[false, false], "");
}

/// A run that stopped at `duration_ms` (or out of events) before it settled: what it waited for,
/// and the records it leaves neither lost nor done. Nothing for a settled run.
fn unsettled(s: &mut String, r: &Report) {
    if r.settled {
        return;
    }
    let _ = if r.ended == crate::record::EndReason::MaxEvents {
        writeln!(s, "\nwarning: the run stopped after {} events (max_events) before it settled", r.events)
    } else {
        writeln!(s, "\nwarning: the run stopped at duration_ms ({} ms) before it settled", r.virtual_ms)
    };
    for w in &r.waiting {
        let _ = writeln!(s, "  - {w}");
    }
    if r.unsettled.is_empty() {
        return;
    }
    s.push_str("unsettled (records neither lost nor done when the run stopped):\n");
    let rows: Vec<Vec<String>> = r.unsettled.iter().map(|(c, n)| vec![c.clone(), n.to_string()]).collect();
    table(s, &rows, &[false, true], "  ");
}

fn anomalies(s: &mut String, r: &Report) {
    let rows: Vec<Vec<String>> =
        r.anomalies.nonzero().map(|(a, c)| vec![a.name().to_string(), c.to_string()]).collect();
    if rows.is_empty() {
        s.push_str("\nanomalies: none\n");
        return;
    }
    s.push_str("\nanomalies:\n");
    table(s, &rows, &[false, true], "  ");
}

/// Explanations printed per anomaly by default (`--findings N|all` changes it); the JSON keeps
/// a few examples and the counts stay exact.
pub const TEXT_FINDINGS_PER_ANOMALY: usize = 10;

fn findings(s: &mut String, r: &Report, per_anomaly: usize) {
    for name in Anomaly::ALL {
        let count = r.anomalies[name];
        let mut shown = 0u64;
        for f in r.findings.iter().filter(|f| f.anomaly == name).take(per_anomaly) {
            if shown == 0 {
                let _ = writeln!(s, "\n{name} ({count}):");
            }
            wrap(s, &f.explanation, "  - ", "    ");
            shown += 1;
        }
        if shown > 0 && count > shown {
            let _ = writeln!(s, "  ... and {} more not shown", count - shown);
        }
    }
}

/// What Kafka's mechanisms were seen doing: the reasons nothing went wrong where it could have.
fn evidence(s: &mut String, r: &Report) {
    if r.evidence.is_empty() {
        return;
    }
    s.push_str("\nevidence:\n");
    for e in &r.evidence {
        wrap(s, &e.text, "  - ", "    ");
    }
}

fn producers(s: &mut String, r: &Report) {
    if r.producers.is_empty() {
        s.push_str("\nproducers: none\n");
        return;
    }
    s.push_str("\nproducers:\n");
    let mut rows = vec![["producer", "sent", "acked", "failed", "indeterminate"].map(String::from).to_vec()];
    for (name, p) in &r.producers {
        rows.push(vec![
            name.clone(),
            p.sent.to_string(),
            p.acked.to_string(),
            p.failed.to_string(),
            p.indeterminate.to_string(),
        ]);
    }
    table(s, &rows, &[false, true, true, true, true], "  ");
}

fn consumers(s: &mut String, r: &Report) {
    if r.consumers.is_empty() {
        return;
    }
    s.push_str("\nconsumers:\n");
    let mut rows = vec![["consumer", "group", "processed", "distinct", "committed"].map(String::from).to_vec()];
    for (name, c) in &r.consumers {
        let committed = if c.committed.is_empty() {
            "-".to_string()
        } else {
            c.committed.iter().map(|(p, o)| format!("{p}={o}")).collect::<Vec<_>>().join(" ")
        };
        rows.push(vec![name.clone(), c.group.clone(), c.processed.to_string(), c.distinct.to_string(), committed]);
    }
    table(s, &rows, &[false, false, true, true, false], "  ");
}

fn processors(s: &mut String, r: &Report) {
    if r.processors.is_empty() {
        return;
    }
    s.push_str("\nprocessors:\n");
    let mut rows = vec![["processor", "group", "guarantee", "inputs", "outputs", "distinct", "committed"]
        .map(String::from)
        .to_vec()];
    for (name, p) in &r.processors {
        let committed = if p.committed.is_empty() {
            "-".to_string()
        } else {
            p.committed.iter().map(|(x, o)| format!("{x}={o}")).collect::<Vec<_>>().join(" ")
        };
        rows.push(vec![
            name.clone(),
            p.group.clone(),
            p.guarantee.clone(),
            p.inputs.to_string(),
            p.outputs.to_string(),
            p.distinct.to_string(),
            committed,
        ]);
    }
    table(s, &rows, &[false, false, false, true, true, true, false], "  ");
}

fn partitions(s: &mut String, r: &Report) {
    if r.partitions.is_empty() {
        s.push_str("\npartitions: none\n");
        return;
    }
    s.push_str("\npartitions:\n");
    let mut rows = vec![["partition", "leader", "epoch", "hw", "leo", "isr"].map(String::from).to_vec()];
    for (name, p) in &r.partitions {
        let isr = if p.isr.is_empty() {
            "-".to_string()
        } else {
            p.isr.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
        };
        rows.push(vec![
            name.clone(),
            p.leader.map_or_else(|| "offline".to_string(), |l| l.to_string()),
            p.leader_epoch.to_string(),
            p.hw.to_string(),
            p.leo.to_string(),
            isr,
        ]);
    }
    table(s, &rows, &[false, true, true, true, true, false], "  ");
}

fn semantics(s: &mut String, r: &Report) {
    if r.semantics.is_empty() {
        return;
    }
    s.push_str("\nsemantics:\n");
    for (name, sem) in &r.semantics {
        let verdict = if sem.holds {
            "held".to_string()
        } else if sem.broken_by.is_empty() {
            "broken".to_string()
        } else {
            format!("broken: {}", sem.broken_by.join(", "))
        };
        if sem.delivery == crate::check::NO_PROMISE {
            let _ = writeln!(s, "  {name} promises none: it may lose and repeat records");
            continue;
        }
        let _ = writeln!(s, "  {name} promises {}: {verdict}", sem.delivery);
    }
}

fn expect(s: &mut String, r: &Report) {
    if r.expect.passed {
        s.push_str("\nexpect: passed\n");
        return;
    }
    s.push_str("\nexpect: FAILED\n");
    for f in &r.expect.failures {
        let _ = writeln!(s, "  - {f}");
    }
}

/// Width explanations are wrapped to.
const WIDTH: usize = 100;

/// Writes `text` word-wrapped to [`WIDTH`] columns: the first line after `first`, the others
/// after `rest`. A word longer than a line stands alone on its line.
fn wrap(s: &mut String, text: &str, first: &str, rest: &str) {
    let mut line = String::from(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.len() + 1 + word.len() > WIDTH {
            s.push_str(&line);
            s.push('\n');
            line.clear();
            line.push_str(rest);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    s.push_str(&line);
    s.push('\n');
}

/// Writes `rows` as aligned columns (two spaces apart), each line prefixed by `indent`; columns
/// flagged in `right` are right-aligned. Trailing spaces are trimmed.
fn table(s: &mut String, rows: &[Vec<String>], right: &[bool], indent: &str) {
    // A cell quoting the file (a group name, say) has its control characters written out, line
    // breaks included: a cell cannot start a line of its own.
    let escaped: Vec<Vec<String>> =
        rows.iter().map(|r| r.iter().map(|c| crate::scenario::escape_controls(c).into_owned()).collect()).collect();
    let rows = &escaped;
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..cols).map(|c| rows.iter().filter_map(|r| r.get(c)).map(String::len).max().unwrap_or(0)).collect();
    for row in rows {
        let mut line = String::from(indent);
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            let w = widths[c];
            if right.get(c).copied().unwrap_or(false) {
                let _ = write!(line, "{cell:>w$}");
            } else {
                let _ = write!(line, "{cell:<w$}");
            }
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_between_words_with_a_hanging_indent() {
        let mut s = String::new();
        let text = format!("{} {} {}", "a".repeat(60), "b".repeat(30), "c".repeat(30));
        wrap(&mut s, &text, "  - ", "    ");
        assert_eq!(s, format!("  - {} {}\n    {}\n", "a".repeat(60), "b".repeat(30), "c".repeat(30)));
        for line in s.lines() {
            assert!(line.len() <= WIDTH);
        }
    }

    #[test]
    fn table_aligns_left_and_right_columns() {
        let mut s = String::new();
        let rows = vec![vec!["a".to_string(), "1".to_string()], vec!["long".to_string(), "100".to_string()]];
        table(&mut s, &rows, &[false, true], "  ");
        assert_eq!(s, "  a       1\n  long  100\n");
    }
}
