//! `kafkasim explore`: a deterministic sweep over crash points.
//!
//! The scenario is run once without its faults (the *fault-free run*, same seed), and every
//! moment of that run that an `after` trigger can name is noted: each record event that
//! happened (`p1#17 sent`, `appended`, `acked`, `committed`, `processed`) and each count every
//! client's events reached (`c1 polled 3`, `p1 acked 40`, ...). These are the *crash points*, in
//! the order they happened. Each `[[fault]]` of the scenario is a *candidate*: its own trigger is
//! ignored, and the sweep runs the scenario once with the candidate placed at each crash point,
//! judges the run as `kafkasim run` does, and tabulates which points lead to which anomalies.
//! With `depth = 2` it also runs pairs of faults: a first at one point, a second at a later one.
//!
//! A fault with `pin = true` is no candidate: it stays where the file puts it, in the fault-free
//! run (then the *baseline*: the run with only the pinned faults) and in every run of the sweep,
//! as part of the schedule the candidates move over (the pauses that leave a leader alone, with
//! the crash that then loses what it acknowledged moving).
//!
//! Exactness. A run is deterministic, so up to the step where a crash point's trigger fires, the
//! run with the fault is the fault-free run, and the trigger fires at the same instant. A fault a
//! trigger fires is applied at the end of the world's step (the handled event) in which the
//! trigger was hit, and nothing of the run depends on which trigger fired it. So every crash
//! point of one step (an *instant*) leads to exactly the same run; the sweep runs one simulation
//! per candidate and instant and gives its result to every point of the instant. (Replaying any
//! point's trigger from a scenario file gives the same `trace_hash`; the tests check it.)
//!
//! See `docs/explore.md` for the table, the JSON fields and the `--max-runs` cap.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;
use thiserror::Error;

use crate::record::{Anomalies, Anomaly};
use crate::scenario::{FaultSpec, InvalidScenario, Scenario, Trigger};
use crate::world::{run_recording_points, RunOptions, RunOutput};

mod render;

/// The default `--max-runs`: the most simulations one sweep runs.
pub const DEFAULT_MAX_RUNS: usize = 20_000;

/// How to explore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExploreOptions {
    /// The seed of every run (the fault-free one and each placed one).
    pub seed: u64,
    /// 1: one fault per run; 2: also pairs of faults.
    pub depth: u8,
    /// The most simulations the sweep runs (single faults and pairs together; the fault-free
    /// run is not counted). See [`explore`] for what is left out when the cap cuts.
    pub max_runs: usize,
    /// Worker threads (each run is still single-threaded and deterministic; results do not
    /// depend on the number of threads).
    pub threads: usize,
}

impl ExploreOptions {
    /// Depth 1, [`DEFAULT_MAX_RUNS`], one thread per available core.
    pub fn new(seed: u64) -> Self {
        ExploreOptions {
            seed,
            depth: 1,
            max_runs: DEFAULT_MAX_RUNS,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// Why a sweep could not start.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExploreError {
    /// The scenario has no `[[fault]]` to place (none, or every one pinned).
    #[error(
        "the scenario declares no [[fault]] to move: explore places each of the scenario's faults \
         that is not pinned (`pin = true`) at every crash point (ignoring its own `at_ms` or \
         `after`), so it needs at least one"
    )]
    NoFaults,
    /// A depth other than 1 or 2.
    #[error("the depth must be 1 or 2, not {0}")]
    Depth(u8),
    /// `max_runs` of 0.
    #[error("the run cap must be at least 1")]
    MaxRuns,
    /// The scenario is invalid ([`Scenario::validate`]).
    #[error("{0}")]
    Invalid(#[from] InvalidScenario),
}

/// A crash point: a moment of the fault-free run that a trigger names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    /// The trigger that fires there.
    pub trigger: Trigger,
    /// The trigger as a scenario file spells `after` (`p1#17 acked`, `c1 polled 3`).
    pub text: String,
    /// Virtual time (ms) of the point in the fault-free run.
    pub at_ms: u64,
    /// Which instant (0, 1, ...) of the fault-free run it belongs to: the points of one instant
    /// fire in the same step, so a fault placed at any of them gives the same run.
    pub instant: usize,
}

/// A candidate fault: one `[[fault]]` of the scenario, to be placed at crash points.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The fault as the scenario declares it (its trigger is not used).
    pub fault: FaultSpec,
    /// Its target as the scenario file spells it (`consumer:c1`).
    pub target: String,
    /// `crash consumer:c1, restart after 1000 ms`.
    pub text: String,
}

/// What one judged run came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The anomaly counts of its report.
    pub anomalies: Anomalies,
    /// Its `trace_hash`, 16 hex digits.
    pub trace_hash: String,
    /// Virtual time at its end.
    pub virtual_ms: u64,
    /// Whether the scenario's `[expect]` held (true when there is none).
    pub expect_passed: bool,
    /// Per placed fault, in order: the virtual time it fired at, `None` if it never fired.
    pub fired_at_ms: Vec<Option<u64>>,
}

/// A candidate placed at a crash point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// Index into [`Exploration::candidates`].
    pub candidate: usize,
    /// Index into [`Exploration::points`].
    pub point: usize,
}

/// One run of the sweep: the faults placed and what came of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// One fault (depth 1) or two (a pair: the second at a later point than the first).
    pub faults: Vec<Placed>,
    /// The judged result.
    pub outcome: Outcome,
}

/// A line of the summary: how many points of a candidate lead to an anomaly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryRow {
    /// Index into [`Exploration::candidates`].
    pub candidate: usize,
    /// The anomaly (serialised as its name).
    pub anomaly: Anomaly,
    /// Swept points whose run has this anomaly.
    pub points: usize,
    /// The largest count among them.
    pub max: u64,
    /// The first such point, as a trigger.
    pub first: String,
}

/// The result of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Exploration {
    /// The scenario's name.
    pub scenario: String,
    /// The seed of every run.
    pub seed: u64,
    /// 1 or 2.
    pub depth: u8,
    /// The run cap that applied.
    pub max_runs: usize,
    /// Whether the scenario has an `[expect]`.
    pub has_expect: bool,
    /// The fault-free run.
    pub baseline: Outcome,
    /// The candidate faults (those not pinned), in file order.
    pub candidates: Vec<Candidate>,
    /// The pinned faults, each as `pause broker:2 for 500 ms at 300 ms`: part of every run.
    pub pinned: Vec<String>,
    /// Whether the cap swept one instant in K: table rows then merge across unswept points.
    pub sampled: bool,
    /// Every crash point of the fault-free run, in the order they happened.
    pub points: Vec<Point>,
    /// Number of instants the points fall into.
    pub instants: usize,
    /// One run per candidate and swept point, candidate by candidate, points in order. Points of
    /// one instant share their run (same outcome and trace hash).
    pub singles: Vec<Run>,
    /// Depth 2: one run per pair swept, ordered by first point, then second point, then
    /// candidates.
    pub pairs: Vec<Run>,
    /// Simulations run (the fault-free one not counted).
    pub runs: usize,
    /// What the `max_runs` cap left out, if anything, in words.
    pub notes: Vec<String>,
}

/// The crash points of `scenario` with `seed`: every trigger-able moment of its fault-free run
/// (the scenario with its `[[fault]]` list emptied but for the pinned faults), in order, with
/// that run's outcome.
/// An invalid scenario is refused, as `run` refuses it.
pub fn crash_points(scenario: &Scenario, seed: u64) -> Result<(Outcome, Vec<Point>), InvalidScenario> {
    scenario.validated()?;
    let mut base = scenario.clone();
    base.faults.retain(|f| f.pin);
    let (out, recorded) = run_recording_points(&base, seed, RunOptions::default())?;
    let baseline = judge(&base, seed, out);
    let mut points = Vec::with_capacity(recorded.len());
    let mut instant = 0;
    for (i, p) in recorded.iter().enumerate() {
        if i > 0 && p.step != recorded[i - 1].step {
            instant += 1;
        }
        points.push(Point {
            text: scenario.trigger_text(&p.trigger),
            trigger: p.trigger.clone(),
            at_ms: p.at_ms,
            instant,
        });
    }
    Ok((baseline, points))
}

/// `scenario` with its faults replaced by its pinned faults and the candidates `(index into
/// scenario.faults, trigger)` placed at those triggers, in that order: the scenario a run of
/// the sweep runs.
pub fn place(scenario: &Scenario, faults: &[(usize, &Trigger)]) -> Scenario {
    let mut s = scenario.clone();
    let placed = faults.iter().map(|&(c, t)| FaultSpec { trigger: t.clone(), ..scenario.faults[c].clone() });
    s.faults = scenario.faults.iter().filter(|f| f.pin).cloned().chain(placed).collect();
    s
}

/// How a candidate reads in tables: `crash consumer:c1, restart after 1000 ms`.
pub fn candidate_text(scenario: &Scenario, f: &FaultSpec) -> String {
    let mut t = format!("{} {}", f.action.as_str(), scenario.target_text(&f.target));
    match (f.restart_after_ms, f.duration_ms) {
        (Some(r), _) => write!(t, ", restart after {r} ms").expect("write to String"),
        (None, Some(d)) => write!(t, " for {d} ms").expect("write to String"),
        (None, None) => {
            if matches!(f.action, crate::scenario::FaultAction::Crash | crate::scenario::FaultAction::PowerLoss) {
                t.push_str(", stays down");
            }
        }
    }
    t
}

fn judge(s: &Scenario, seed: u64, out: RunOutput) -> Outcome {
    let verdict = crate::check::check(s, &out.history);
    let report =
        crate::report::build_report(s, seed, out.trace_hash, out.virtual_ms, out.events, &out.history, verdict);
    Outcome {
        anomalies: report.anomalies,
        trace_hash: report.trace_hash,
        virtual_ms: report.virtual_ms,
        expect_passed: report.expect.passed,
        fired_at_ms: out.faults_fired_at,
    }
}

fn run_placed(s: &Scenario, seed: u64, faults: &[(usize, &Trigger)]) -> Outcome {
    let placed = place(s, faults);
    let out = crate::world::run(&placed, seed, RunOptions::default())
        .expect("a valid scenario's faults placed at its own trigger points stay valid");
    judge(&placed, seed, out)
}

/// Run `f` over `jobs` on `threads` threads; results in job order whatever the threads do.
fn par_map<T: Sync, R: Send>(jobs: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let threads = threads.clamp(1, jobs.len().max(1));
    let parts: Vec<Vec<(usize, R)>> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                sc.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= jobs.len() {
                            return mine;
                        }
                        mine.push((i, f(&jobs[i])));
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("an explore worker panicked")).collect()
    });
    let mut out: Vec<Option<R>> = (0..jobs.len()).map(|_| None).collect();
    for (i, r) in parts.into_iter().flatten() {
        out[i] = Some(r);
    }
    out.into_iter().map(|r| r.expect("every job ran")).collect()
}

/// Sweep `scenario`'s candidate faults over its crash points.
///
/// Depth 1 runs each candidate at each instant of the fault-free run (one run serves every
/// point of an instant). If that is more than `max_runs`, only every K-th instant is swept (K
/// the smallest stride that fits), and a note says so.
///
/// Depth 2 then spends what is left of `max_runs` on pairs: a candidate at the first point of
/// one swept instant and a candidate (the same or another) at the first point of a later swept
/// instant. All such pairs are run when they fit. Otherwise only *boundary* instants take part:
/// for each candidate, the swept instants whose single-fault outcome (the anomaly counts)
/// differs from the previous or the next swept instant's, plus the first and last. If even those
/// pairs do not fit, every K-th of them in the order above is run. Each step is noted.
pub fn explore(scenario: &Scenario, opts: &ExploreOptions) -> Result<Exploration, ExploreError> {
    // Candidates are the faults that are not pinned: `movable[ci]` is candidate ci's index in
    // `scenario.faults`.
    let movable: Vec<usize> = (0..scenario.faults.len()).filter(|&i| !scenario.faults[i].pin).collect();
    if movable.is_empty() {
        return Err(ExploreError::NoFaults);
    }
    if !(1..=2).contains(&opts.depth) {
        return Err(ExploreError::Depth(opts.depth));
    }
    if opts.max_runs == 0 {
        return Err(ExploreError::MaxRuns);
    }
    let seed = opts.seed;
    let candidates: Vec<Candidate> = movable
        .iter()
        .map(|&i| &scenario.faults[i])
        .map(|f| Candidate {
            fault: f.clone(),
            target: scenario.target_text(&f.target),
            text: candidate_text(scenario, f),
        })
        .collect();
    let pinned: Vec<String> = scenario
        .faults
        .iter()
        .filter(|f| f.pin)
        .map(|f| match f.trigger {
            Trigger::AtMs(ms) => format!("{} at {ms} ms", candidate_text(scenario, f)),
            ref t => format!("{} after {}", candidate_text(scenario, f), scenario.trigger_text(t)),
        })
        .collect();
    let (baseline, points) = crash_points(scenario, seed)?;
    // The first point of each instant stands for the instant.
    let mut reps: Vec<usize> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        if p.instant == reps.len() {
            reps.push(i);
        }
    }
    let instants = reps.len();
    let c = candidates.len();
    let mut notes = Vec::new();

    // Depth 1.
    let total = c * instants;
    let stride = if total > opts.max_runs { total.div_ceil(opts.max_runs) } else { 1 };
    let swept: Vec<usize> = (0..instants).step_by(stride).collect();
    if stride > 1 {
        notes.push(format!(
            "the cap cut the single-fault sweep: {} points at {instants} instants × {c} candidate(s) \
             would take {total} runs, more than --max-runs {}; one instant in {stride} was swept \
             ({} runs)",
            points.len(),
            opts.max_runs,
            swept.len() * c
        ));
    }
    let jobs: Vec<(usize, usize)> = (0..c).flat_map(|ci| swept.iter().map(move |&k| (ci, k))).collect();
    let single: Vec<Outcome> =
        par_map(&jobs, opts.threads, |&(ci, k)| run_placed(scenario, seed, &[(movable[ci], &points[reps[k]].trigger)]));
    let mut runs = jobs.len();
    let mut singles = Vec::new();
    for (j, &(ci, k)) in jobs.iter().enumerate() {
        let end = reps.get(k + 1).copied().unwrap_or(points.len());
        for point in reps[k]..end {
            singles.push(Run { faults: vec![Placed { candidate: ci, point }], outcome: single[j].clone() });
        }
    }

    // Depth 2.
    let mut pairs = Vec::new();
    if opts.depth == 2 {
        let budget = opts.max_runs.saturating_sub(runs);
        let s = swept.len();
        let outcome = |ci: usize, pos: usize| &single[ci * s + pos];
        // (position in `swept`, candidate), sorted: every member may be a first or a second.
        let all: Vec<(usize, usize)> = (0..s).flat_map(|pos| (0..c).map(move |ci| (pos, ci))).collect();
        let count = |members: &[(usize, usize)]| -> usize {
            members.iter().map(|&(pos, _)| members.len() - members.partition_point(|&(q, _)| q <= pos)).sum()
        };
        let mut members = all;
        let mut n = count(&members);
        if n > budget {
            let boundary: Vec<(usize, usize)> = members
                .iter()
                .copied()
                .filter(|&(pos, ci)| {
                    let here = &outcome(ci, pos).anomalies;
                    pos == 0
                        || pos + 1 == s
                        || outcome(ci, pos - 1).anomalies != *here
                        || outcome(ci, pos + 1).anomalies != *here
                })
                .collect();
            let m = count(&boundary);
            notes.push(format!(
                "the cap cut the pair sweep: all {n} pairs would take more than the {budget} runs left \
                 under --max-runs {}; only pairs of outcome boundaries (instants whose single-fault \
                 outcome differs from the previous or next swept instant's, and the first and last) \
                 were considered: {m} pairs",
                opts.max_runs
            ));
            members = boundary;
            n = m;
        }
        let pair_stride = if n > budget { n.div_ceil(budget.max(1)) } else { 1 };
        let mut chosen: Vec<((usize, usize), (usize, usize))> = Vec::new();
        if budget > 0 {
            let mut g = 0usize;
            for &(pos, ci) in &members {
                let start = members.partition_point(|&(q, _)| q <= pos);
                let len = members.len() - start;
                let first = (pair_stride - g % pair_stride) % pair_stride;
                let mut t = first;
                while t < len {
                    chosen.push(((pos, ci), members[start + t]));
                    t += pair_stride;
                }
                g += len;
            }
        }
        if pair_stride > 1 {
            notes.push(format!(
                "the cap cut the pair sweep further: one in {pair_stride} of those {n} pairs was run \
                 ({} runs)",
                chosen.len()
            ));
        } else if budget == 0 {
            notes.push(format!(
                "the cap left no runs for pairs: the single-fault sweep used all of --max-runs {}",
                opts.max_runs
            ));
        }
        let outcomes = par_map(&chosen, opts.threads, |&((p1, a), (p2, b))| {
            let (x, y) = (reps[swept[p1]], reps[swept[p2]]);
            run_placed(scenario, seed, &[(movable[a], &points[x].trigger), (movable[b], &points[y].trigger)])
        });
        runs += chosen.len();
        for (&((p1, a), (p2, b)), outcome) in chosen.iter().zip(outcomes) {
            let faults =
                vec![Placed { candidate: a, point: reps[swept[p1]] }, Placed { candidate: b, point: reps[swept[p2]] }];
            pairs.push(Run { faults, outcome });
        }
    }

    Ok(Exploration {
        scenario: scenario.name.clone(),
        seed,
        depth: opts.depth,
        max_runs: opts.max_runs,
        has_expect: !scenario.expect.is_empty(),
        baseline,
        candidates,
        pinned,
        sampled: stride > 1,
        points,
        instants,
        singles,
        pairs,
        runs,
        notes,
    })
}

/// `lost_processing 12, duplicate_processing 3`, or `none`.
pub fn anomalies_text(a: &Anomalies) -> String {
    let parts: Vec<String> = a.nonzero().map(|(n, v)| format!("{n} {v}")).collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

impl Exploration {
    /// The single-fault run of candidate `candidate` at point `point`, if that point was swept.
    pub fn single(&self, candidate: usize, point: usize) -> Option<&Run> {
        // Singles are ordered by candidate, then point.
        let i = self
            .singles
            .binary_search_by_key(&(candidate, point), |r| (r.faults[0].candidate, r.faults[0].point))
            .ok()?;
        Some(&self.singles[i])
    }

    /// Per candidate and anomaly: how many swept points lead to it, the largest count, the
    /// first such point. Candidates in order, anomalies in report order.
    pub fn summary(&self) -> Vec<SummaryRow> {
        let mut rows = Vec::new();
        for ci in 0..self.candidates.len() {
            for name in Anomaly::ALL {
                let mut row: Option<SummaryRow> = None;
                for r in self.singles.iter().filter(|r| r.faults[0].candidate == ci) {
                    let v = r.outcome.anomalies[name];
                    if v == 0 {
                        continue;
                    }
                    let row = row.get_or_insert_with(|| SummaryRow {
                        candidate: ci,
                        anomaly: name,
                        points: 0,
                        max: 0,
                        first: self.points[r.faults[0].point].text.clone(),
                    });
                    row.points += 1;
                    row.max = row.max.max(v);
                }
                rows.extend(row);
            }
        }
        rows
    }

    /// Whether a pair leads to more of some anomaly than each of its two faults does alone
    /// (each single-fault outcome read at the pair's points).
    pub fn is_interaction(&self, pair: &Run) -> bool {
        self.excess(pair) > 0
    }

    /// How much worse a pair is together than apart: per anomaly, what the pair counts beyond
    /// the larger of its two faults alone, summed (0 for a pair that is no interaction).
    pub fn excess(&self, pair: &Run) -> u64 {
        let alone: Vec<&Anomalies> = pair
            .faults
            .iter()
            .filter_map(|f| self.single(f.candidate, f.point))
            .map(|r| &r.outcome.anomalies)
            .collect();
        Anomaly::ALL
            .into_iter()
            .map(|n| pair.outcome.anomalies[n].saturating_sub(alone.iter().map(|a| a[n]).max().unwrap_or(0)))
            .sum()
    }
}
