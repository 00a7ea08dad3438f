//! The sweep's faces: the text tables and the one-line JSON object (`docs/explore.md`).

use std::fmt::Write as _;

use serde::Serialize;

use super::{anomalies_text, Exploration, Outcome, Placed, Run, SummaryRow};
use crate::record::{Anomalies, Anomaly};

impl Exploration {
    fn placed_text(&self, p: &Placed) -> String {
        if self.candidates.len() > 1 {
            format!("{} [#{}]", self.points[p.point].text, p.candidate + 1)
        } else {
            self.points[p.point].text.clone()
        }
    }

    /// The text rendering: a header, then per candidate a table with one row per run of
    /// consecutive swept points with the same outcome and a summary; at depth 2 the pairs that
    /// lead to more than either of their faults alone, and a pair summary.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let w = &mut o;
        let _ = writeln!(w, "explore: {}", self.scenario);
        let _ = writeln!(
            w,
            "seed {}, depth {}: {} crash points at {} instants, {} candidate fault(s), {} runs",
            self.seed,
            self.depth,
            self.points.len(),
            self.instants,
            self.candidates.len(),
            self.runs
        );
        for p in &self.pinned {
            let _ = writeln!(w, "pinned: {p}");
        }
        let _ = writeln!(
            w,
            "{}: trace_hash {}, anomalies: {}",
            if self.pinned.is_empty() { "fault-free run" } else { "baseline (pinned faults only)" },
            self.baseline.trace_hash,
            anomalies_text(&self.baseline.anomalies)
        );
        for n in &self.notes {
            let _ = writeln!(w, "note: {n}");
        }
        for (ci, cand) in self.candidates.iter().enumerate() {
            let _ = writeln!(w);
            let _ = writeln!(w, "candidate #{}: {}", ci + 1, cand.text);
            let _ = writeln!(w);
            let mine: Vec<&Run> = self.singles.iter().filter(|r| r.faults[0].candidate == ci).collect();
            // Rows: maximal runs of consecutive swept points with the same outcome (when the cap
            // sampled instants, the points between two swept ones do not break a row: they were
            // not run, and the row's count is of swept points).
            let mut rows: Vec<[String; 5]> = Vec::new();
            let mut i = 0;
            while i < mine.len() {
                let mut j = i;
                while j + 1 < mine.len()
                    && (self.sampled || mine[j + 1].faults[0].point == mine[j].faults[0].point + 1)
                    && mine[j + 1].outcome.anomalies == mine[i].outcome.anomalies
                {
                    j += 1;
                }
                let (a, b) = (&self.points[mine[i].faults[0].point], &self.points[mine[j].faults[0].point]);
                let points = if i == j { a.text.clone() } else { format!("{} .. {}", a.text, b.text) };
                let at = if a.at_ms == b.at_ms { a.at_ms.to_string() } else { format!("{}..{}", a.at_ms, b.at_ms) };
                let expect = if !self.has_expect {
                    String::new()
                } else if mine[i].outcome.expect_passed {
                    "holds".into()
                } else {
                    "fails".into()
                };
                rows.push([points, at, (j - i + 1).to_string(), anomalies_text(&mine[i].outcome.anomalies), expect]);
                i = j + 1;
            }
            let header = ["points", "at ms", "count", "anomalies", if self.has_expect { "expect" } else { "" }];
            table(w, &header, &rows, &[false, true, true, false, false]);
            let _ = writeln!(w);
            let summary: Vec<SummaryRow> = self.summary().into_iter().filter(|r| r.candidate == ci).collect();
            let clean = mine.iter().filter(|r| r.outcome.anomalies == Anomalies::default()).count();
            let _ = writeln!(w, "summary of candidate #{} ({} points swept):", ci + 1, mine.len());
            let mut rows: Vec<[String; 4]> = summary
                .iter()
                .map(|r| [r.anomaly.to_string(), r.points.to_string(), r.max.to_string(), r.first.clone()])
                .collect();
            rows.push(["none".into(), clean.to_string(), String::new(), String::new()]);
            table(w, &["anomaly", "points", "max", "first point"], &rows, &[false, true, true, false]);
            if self.has_expect {
                let fails = mine.iter().filter(|r| !r.outcome.expect_passed).count();
                let _ = writeln!(w, "  [expect] fails at {fails} of {} points", mine.len());
            }
        }
        if self.depth == 2 {
            let _ = writeln!(w);
            let mut interactions: Vec<(u64, &Run)> =
                self.pairs.iter().filter(|p| self.is_interaction(p)).map(|p| (self.excess(p), p)).collect();
            // Worst first; a stable sort keeps the sweep's order among equals.
            interactions.sort_by_key(|&(excess, _)| std::cmp::Reverse(excess));
            let _ = writeln!(
                w,
                "pairs: {} runs; {} lead to more of some anomaly than either fault alone, worst first:",
                self.pairs.len(),
                interactions.len()
            );
            if !interactions.is_empty() {
                let _ = writeln!(w);
                let rows: Vec<[String; 5]> = interactions
                    .iter()
                    .map(|&(excess, p)| {
                        let alone: Vec<String> = p
                            .faults
                            .iter()
                            .map(|f| {
                                self.single(f.candidate, f.point)
                                    .map_or("?".into(), |r| anomalies_text(&r.outcome.anomalies))
                            })
                            .collect();
                        [
                            self.placed_text(&p.faults[0]),
                            self.placed_text(&p.faults[1]),
                            anomalies_text(&p.outcome.anomalies),
                            alone.join(" / "),
                            format!("+{excess}"),
                        ]
                    })
                    .collect();
                table(
                    w,
                    &["first", "second", "anomalies", "alone (first / second)", "worse by"],
                    &rows,
                    &[false, false, false, false, true],
                );
            }
            let _ = writeln!(w);
            let _ = writeln!(w, "summary of pairs:");
            let mut rows: Vec<[String; 3]> = Vec::new();
            for name in Anomaly::ALL {
                let with: Vec<u64> = self.pairs.iter().map(|p| p.outcome.anomalies[name]).filter(|&v| v > 0).collect();
                if !with.is_empty() {
                    rows.push([name.to_string(), with.len().to_string(), with.iter().max().unwrap_or(&0).to_string()]);
                }
            }
            let clean = self.pairs.iter().filter(|p| p.outcome.anomalies == Anomalies::default()).count();
            let unfired = self.pairs.iter().filter(|p| p.outcome.fired_at_ms.iter().any(Option::is_none)).count();
            rows.push(["none".into(), clean.to_string(), String::new()]);
            table(w, &["anomaly", "pairs", "max"], &rows, &[false, true, true]);
            let _ = writeln!(w, "  the second fault never fired in {unfired} pairs");
        }
        o
    }

    /// The JSON rendering: one object on one line (see `docs/explore.md` for every field).
    pub fn to_json(&self) -> String {
        let outcome = |o: &'_ Outcome| JsonOutcome {
            anomalies: o.anomalies,
            trace_hash: o.trace_hash.clone(),
            virtual_ms: o.virtual_ms,
            expect_passed: o.expect_passed,
        };
        let run = |r: &Run, interaction: Option<bool>, worse_by: Option<u64>| JsonRun {
            faults: r
                .faults
                .iter()
                .zip(&r.outcome.fired_at_ms)
                .map(|(f, at)| JsonFault {
                    candidate: f.candidate,
                    point: f.point,
                    trigger: self.points[f.point].text.clone(),
                    fired_at_ms: *at,
                })
                .collect(),
            outcome: outcome(&r.outcome),
            interaction,
            worse_by,
        };
        let doc = JsonExploration {
            scenario: &self.scenario,
            seed: self.seed,
            depth: self.depth,
            max_runs: self.max_runs,
            runs: self.runs,
            notes: &self.notes,
            pinned: &self.pinned,
            baseline: outcome(&self.baseline),
            candidates: self
                .candidates
                .iter()
                .enumerate()
                .map(|(i, c)| JsonCandidate {
                    candidate: i,
                    action: c.fault.action.as_str(),
                    target: c.target.clone(),
                    restart_after_ms: c.fault.restart_after_ms,
                    duration_ms: c.fault.duration_ms,
                    text: c.text.clone(),
                })
                .collect(),
            points: self
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| JsonPoint { point: i, trigger: &p.text, at_ms: p.at_ms, instant: p.instant })
                .collect(),
            singles: self.singles.iter().map(|r| run(r, None, None)).collect(),
            pairs: self.pairs.iter().map(|r| run(r, Some(self.is_interaction(r)), Some(self.excess(r)))).collect(),
            summary: self.summary(),
        };
        serde_json::to_string(&doc).expect("an exploration always serialises to JSON")
    }
}

/// Write an aligned table: two spaces of indent, columns two apart, `right` ones right-aligned;
/// empty trailing columns are dropped.
fn table<const N: usize>(w: &mut String, header: &[&str; N], rows: &[[String; N]], right: &[bool; N]) {
    let mut width = [0usize; N];
    for (k, h) in header.iter().enumerate() {
        width[k] = h.chars().count();
    }
    for r in rows {
        for k in 0..N {
            width[k] = width[k].max(r[k].chars().count());
        }
    }
    let line = |w: &mut String, cells: [&str; N]| {
        let mut s = String::from("  ");
        for k in 0..N {
            if width[k] == 0 {
                continue;
            }
            if k > 0 {
                s.push_str("  ");
            }
            let pad = width[k] - cells[k].chars().count();
            if right[k] {
                s.push_str(&" ".repeat(pad));
                s.push_str(cells[k]);
            } else {
                s.push_str(cells[k]);
                s.push_str(&" ".repeat(pad));
            }
        }
        let _ = writeln!(w, "{}", s.trim_end());
    };
    line(w, *header);
    for r in rows {
        line(w, std::array::from_fn(|k| r[k].as_str()));
    }
}

#[derive(Serialize)]
struct JsonExploration<'a> {
    scenario: &'a str,
    seed: u64,
    depth: u8,
    max_runs: usize,
    runs: usize,
    notes: &'a [String],
    pinned: &'a [String],
    baseline: JsonOutcome,
    candidates: Vec<JsonCandidate>,
    points: Vec<JsonPoint<'a>>,
    singles: Vec<JsonRun>,
    pairs: Vec<JsonRun>,
    summary: Vec<SummaryRow>,
}

#[derive(Serialize)]
struct JsonCandidate {
    candidate: usize,
    action: &'static str,
    target: String,
    restart_after_ms: Option<u64>,
    duration_ms: Option<u64>,
    text: String,
}

#[derive(Serialize)]
struct JsonPoint<'a> {
    point: usize,
    trigger: &'a str,
    at_ms: u64,
    instant: usize,
}

#[derive(Serialize)]
struct JsonOutcome {
    anomalies: Anomalies,
    trace_hash: String,
    virtual_ms: u64,
    expect_passed: bool,
}

#[derive(Serialize)]
struct JsonFault {
    candidate: usize,
    point: usize,
    trigger: String,
    fired_at_ms: Option<u64>,
}

#[derive(Serialize)]
struct JsonRun {
    faults: Vec<JsonFault>,
    #[serde(flatten)]
    outcome: JsonOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    interaction: Option<bool>,
    /// A pair's [`Exploration::excess`]: how much worse together than apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    worse_by: Option<u64>,
}
