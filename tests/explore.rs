//! `kafkasim explore`: the crash points of a run, their replay, pairs and the cap, the
//! commit-before-processing example, and the command line.

mod common;
use common::{kafkasim, temp_file};

use kafkasim::explore::{crash_points, explore, place, Exploration, ExploreError, ExploreOptions};
use kafkasim::record::Anomaly;
use kafkasim::record::EventKind;
use kafkasim::scenario::{parse_str, Scenario};
use kafkasim::{run_seed, RunOptions};

/// One broker, one unreplicated partition, two records 20 ms apart (one batch each), and a
/// consumer that reads from the start, processes one record per ms and commits after
/// processing. The fault is the candidate: a crash of the consumer.
const TINY: &str = r#"
name = "tiny"
duration_ms = 60000

[cluster]
brokers = 1

[[topic]]
name = "t"
partitions = 1
replication_factor = 1

[[producer]]
name = "p1"
topic = "t"
records = 2
interval_ms = 20

[[consumer]]
name = "c1"
group = "g1"
topics = ["t"]
commit = "after-processing"
processing_ms = 1
[consumer.config]
"auto.offset.reset" = "earliest"

[[fault]]
after = "p1#0 acked"
action = "crash"
target = "consumer:c1"
restart_after_ms = 1000
"#;

fn tiny() -> Scenario {
    common::inline(TINY)
}

fn opts(depth: u8, max_runs: usize) -> ExploreOptions {
    ExploreOptions { depth, max_runs, ..ExploreOptions::new(1) }
}

/// `source` with its (only) `after = "..."` trigger replaced by `trigger`, loaded as a file is.
fn with_trigger(source: &str, old: &str, trigger: &str) -> Scenario {
    let from = format!("after = \"{old}\"");
    assert!(source.contains(&from), "the scenario has {from}");
    parse_str(&source.replace(&from, &format!("after = \"{trigger}\"")), "replay.toml")
        .unwrap_or_else(|e| panic!("`{trigger}` is spelled as a scenario file spells it: {e}"))
}

#[test]
fn the_crash_points_of_a_tiny_scenario_are_exactly_its_record_and_client_events_in_order() {
    let (baseline, points) = crash_points(&tiny(), 1).unwrap();
    assert_eq!(baseline.anomalies, Default::default(), "the fault-free run is clean");
    let got: Vec<(&str, usize)> = points.iter().map(|p| (p.text.as_str(), p.instant)).collect();
    // Per record: the application's send(); the leader's append, which with a single replica
    // moves the high watermark past it in the same step; the producer's ack, which is also the
    // producer's N-th acknowledged record. The consumer joins once the group's initial rebalance
    // delay is over, gets both records in one poll, processes them 1 ms apart, and then commits
    // once. Record events not reached (none here) and events the clients never have
    // (transactions) are not points.
    let want = vec![
        ("p1#0 sent", 0),
        ("p1#0 appended", 1),
        ("p1#0 committed", 1),
        ("p1#0 acked", 2),
        ("p1 acked 1", 2),
        ("p1#1 sent", 3),
        ("p1#1 appended", 4),
        ("p1#1 committed", 4),
        ("p1#1 acked", 5),
        ("p1 acked 2", 5),
        ("c1 polled 1", 6),
        ("p1#0 processed", 7),
        ("c1 processed 1", 7),
        ("p1#1 processed", 8),
        ("c1 processed 2", 8),
        ("c1 committed 1", 9),
    ];
    assert_eq!(got, want);
    assert!(points.windows(2).all(|w| w[0].at_ms <= w[1].at_ms), "points are in time order");
    assert!(points[10].at_ms >= 3_000, "the consumer polls after group.initial.rebalance.delay.ms");
}

#[test]
fn every_crash_point_replays_from_a_scenario_file_with_the_same_trace_hash() {
    let x = explore(&tiny(), &opts(1, 10_000)).unwrap();
    assert_eq!(x.singles.len(), x.points.len(), "one result per point");
    assert_eq!(x.runs, x.instants, "one run per instant");
    for r in &x.singles {
        let point = &x.points[r.faults[0].point];
        let (report, out) = run_seed(&with_trigger(TINY, "p1#0 acked", &point.text), 1, RunOptions::default()).unwrap();
        assert_eq!(report.trace_hash, r.outcome.trace_hash, "{}", point.text);
        assert_eq!(report.anomalies, r.outcome.anomalies, "{}", point.text);
        assert_eq!(out.faults_fired_at, vec![Some(point.at_ms)], "{} fires where it was seen", point.text);
        assert_eq!(r.outcome.fired_at_ms, vec![Some(point.at_ms)]);
    }
    // The points of one instant share one run; points of different instants differ.
    for w in x.singles.windows(2) {
        let same = x.points[w[0].faults[0].point].instant == x.points[w[1].faults[0].point].instant;
        assert_eq!(same, w[0].outcome.trace_hash == w[1].outcome.trace_hash);
    }
}

#[test]
fn crash_points_of_transactions_and_an_exactly_once_processor_replay_too() {
    // Enough records for several polls and transactions of the processor.
    let src = std::fs::read_to_string("examples/scenarios/eos-processor-crash-after-sending-offsets.toml")
        .unwrap()
        .replace("records = 600", "records = 100");
    let s = parse_str(&src, "eos.toml").unwrap();
    let (_, points) = crash_points(&s, 1).unwrap();
    let kinds = |p: &str| -> String {
        let w: Vec<&str> = p.split_whitespace().collect();
        if w[0].contains('#') {
            w[1].to_string()
        } else {
            format!("{} {}", w[0], w[1])
        }
    };
    let mut seen: Vec<String> = Vec::new();
    let mut picked = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let k = kinds(&p.text);
        let last_of_kind = !points[i + 1..].iter().any(|q| kinds(&q.text) == k);
        if !seen.contains(&k) || last_of_kind {
            picked.push(p);
        }
        if !seen.contains(&k) {
            seen.push(k);
        }
    }
    for k in ["s1 polled", "s1 processed", "s1 committed", "s1 offsets-sent", "s1 txn-committed", "p1 acked"] {
        assert!(seen.iter().any(|s| s == k), "{k} is among the points: {seen:?}");
    }
    for p in picked {
        let placed = place(&s, &[(0, &p.trigger)]);
        let (report, out) = run_seed(&placed, 1, RunOptions::default()).unwrap();
        let (file_report, _) =
            run_seed(&with_trigger(&src, "s1 offsets-sent 3", &p.text), 1, RunOptions::default()).unwrap();
        assert_eq!(out.faults_fired_at, vec![Some(p.at_ms)], "{} fires where it was seen", p.text);
        assert_eq!(report.trace_hash, file_report.trace_hash, "{}", p.text);
    }
}

#[test]
fn several_faults_are_each_a_candidate_at_every_point() {
    let src =
        TINY.to_string() + "\n[[fault]]\nat_ms = 5\naction = \"pause\"\ntarget = \"broker:1\"\nduration_ms = 200\n";
    let x = explore(&common::inline(&src), &opts(1, 10_000)).unwrap();
    assert_eq!(x.candidates.len(), 2);
    assert_eq!(x.candidates[1].text, "pause broker:1 for 200 ms");
    assert_eq!(x.singles.len(), 2 * x.points.len());
    assert_eq!(x.runs, 2 * x.instants);
    for (ci, cand) in x.candidates.iter().enumerate() {
        let mine: Vec<usize> =
            x.singles.iter().filter(|r| r.faults[0].candidate == ci).map(|r| r.faults[0].point).collect();
        assert_eq!(mine, (0..x.points.len()).collect::<Vec<_>>(), "{}", cand.text);
    }
}

#[test]
fn depth_two_places_the_second_fault_at_a_later_instant_and_runs_every_pair_when_they_fit() {
    let x = explore(&tiny(), &opts(2, 10_000)).unwrap();
    let n = x.instants;
    assert_eq!(x.pairs.len(), n * (n - 1) / 2, "every pair of instants, one candidate");
    assert_eq!(x.runs, n + x.pairs.len());
    assert!(x.notes.is_empty(), "{:?}", x.notes);
    let instant = |r: &kafkasim::explore::Run, k: usize| x.points[r.faults[k].point].instant;
    for r in &x.pairs {
        assert_eq!(r.faults.len(), 2);
        assert!(instant(r, 0) < instant(r, 1), "the second fault is placed later");
        assert_eq!(r.outcome.fired_at_ms[0], Some(x.points[r.faults[0].point].at_ms), "the first fires where seen");
    }
    let keys: Vec<(usize, usize)> = x.pairs.iter().map(|r| (instant(r, 0), instant(r, 1))).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "pairs are ordered by first point, then second");
    // A pair replays from the scenario with both faults placed.
    let r = &x.pairs[x.pairs.len() / 2];
    let placed =
        place(&tiny(), &[(0, &x.points[r.faults[0].point].trigger), (0, &x.points[r.faults[1].point].trigger)]);
    assert_eq!(run_seed(&placed, 1, RunOptions::default()).unwrap().0.trace_hash, r.outcome.trace_hash);
}

#[test]
fn the_cap_thins_the_sweeps_deterministically_and_says_so() {
    // Ten instants; a cap of 4 sweeps every third instant (0, 3, 6, 9).
    let x = explore(&tiny(), &opts(1, 4)).unwrap();
    let swept: Vec<usize> = x.singles.iter().map(|r| x.points[r.faults[0].point].instant).collect();
    let mut instants = swept.clone();
    instants.dedup();
    assert_eq!(instants, vec![0, 3, 6, 9]);
    assert_eq!(x.runs, 4);
    assert!(x.notes.iter().any(|n| n.contains("one instant in 3 was swept")), "{:?}", x.notes);

    // Depth 2 under a cap of 20: 10 single runs, at most 10 pair runs, same choice every time.
    let a = explore(&tiny(), &opts(2, 20)).unwrap();
    assert!(a.runs <= 20 && !a.pairs.is_empty(), "{} runs, {} pairs", a.runs, a.pairs.len());
    assert!(a.notes.iter().any(|n| n.contains("cut the pair sweep")), "{:?}", a.notes);
    for r in &a.pairs {
        assert!(a.points[r.faults[0].point].instant < a.points[r.faults[1].point].instant);
    }
    let b = explore(&tiny(), &ExploreOptions { threads: 1, ..opts(2, 20) }).unwrap();
    assert_eq!(a, b, "the same sweep whatever the number of threads");
}

#[test]
fn a_scenario_without_faults_is_a_clear_error() {
    let mut s = tiny();
    s.faults.clear();
    let e = explore(&s, &opts(1, 100)).unwrap_err();
    assert_eq!(e, ExploreError::NoFaults);
    assert!(e.to_string().contains("no [[fault]]"), "{e}");
    assert_eq!(explore(&tiny(), &opts(3, 100)).unwrap_err(), ExploreError::Depth(3));
}

/// The crash points of `commit-before-processing-crash.toml` that lose processing, and how
/// much each loses.
///
/// The consumer commits right after each poll returns (commitSync of the position past the
/// batch) and only then processes the batch, one record per ms. The producer has written every
/// record long before the group forms (3 s of initial rebalance delay), so nothing else is going
/// on while the consumer works. A crash placed at any point:
/// - before the first poll loses nothing: no offset is committed, the restarted member starts
///   from the earliest offset and processes everything;
/// - from a poll on: the commit of that poll's batch was sent in the same step as the poll, and
///   a crash does not recall what the member already put on the wire, so the group's committed
///   offset ends up past the batch. The restarted member resumes there: every record polled and
///   not yet processed when the crash hit is never processed. A crash right after the last
///   record of a batch was processed falls in the step where the next poll returned (its records
///   were already fetched), so it loses that whole next batch.
///
/// So each point loses exactly (records returned by the polls up to its instant) − (records
/// processed up to its instant), and never processes anything twice. The sweep uses the
/// example shrunk to 100 records in polls of 30 so that it runs quickly in a debug build; the
/// full example has the same shape (`docs/explore.md` shows it).
#[test]
fn commit_before_processing_loses_exactly_the_polled_records_not_yet_processed_at_each_crash_point() {
    let src = std::fs::read_to_string("examples/scenarios/commit-before-processing-crash.toml")
        .unwrap()
        .replace("records = 1000", "records = 100")
        .replace("\"max.poll.records\" = 100", "\"max.poll.records\" = 30");
    let (x, polled_after, losing) = check_commit_before_processing(&src);
    assert_eq!(polled_after, [0, 30, 60, 90, 100], "full polls of max.poll.records, then the rest");
    // The losing points: `c1 polled 1` and `c1 committed 1`; `p1#I processed` with
    // `c1 processed I+1` (one step) for I from 0 to 98; and `c1 polled K`, `c1 committed K` for
    // the polls K = 2, 3, 4 (each poll shares the step of the processing before it).
    assert_eq!(losing, 2 + 2 * 99 + 3 * 2);
    let summary = x.summary();
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0].anomaly, Anomaly::LostProcessing);
    assert_eq!(summary[0].points, losing);
    assert_eq!(summary[0].max, 30);
    assert_eq!(summary[0].first, "c1 polled 1");
    // The last point, the processing of p1#99, is the only consumer point that loses nothing.
    let last = x.singles.last().unwrap();
    assert_eq!(x.points[last.faults[0].point].text, "c1 processed 100");
    assert_eq!(last.outcome.anomalies[Anomaly::LostProcessing], 0);
}

/// The bundled example itself (2583 runs): too slow for a debug build, so run it with
/// `cargo test --release --test explore -- --ignored`.
#[test]
#[ignore]
fn the_bundled_commit_before_processing_example_loses_exactly_the_polled_records_not_yet_processed() {
    let src = std::fs::read_to_string("examples/scenarios/commit-before-processing-crash.toml").unwrap();
    let (x, polled_after, losing) = check_commit_before_processing(&src);
    assert_eq!(*polled_after.last().unwrap(), 1000);
    assert_eq!(x.summary()[0].points, losing);
}

/// Sweeps a commit-before-processing scenario and checks every point's loss against the rule
/// above; returns the sweep, the records returned by the first N polls of the fault-free run
/// (N = 0, 1, ...) and the number of points that lose processing.
fn check_commit_before_processing(src: &str) -> (Exploration, Vec<u64>, usize) {
    let s = parse_str(src, "cbp.toml").unwrap();
    let x = explore(&s, &opts(1, 100_000)).unwrap();
    assert!(x.notes.is_empty());
    let mut free = s.clone();
    free.faults.clear();
    let (_, out) = run_seed(&free, 1, RunOptions::default()).unwrap();
    let mut polled_after = vec![0u64];
    for e in &out.history.events {
        if let EventKind::Polled { records, .. } = &e.kind {
            polled_after.push(polled_after.last().unwrap() + records.len() as u64);
        }
    }
    // The largest `c1 EVENT N` among the points up to each instant.
    let upto = |event: &str| -> Vec<u64> {
        let prefix = format!("c1 {event} ");
        let mut at = vec![0u64; x.instants];
        for p in &x.points {
            if let Some(n) = p.text.strip_prefix(&prefix) {
                at[p.instant] = at[p.instant].max(n.parse().unwrap());
            }
        }
        at.iter()
            .scan(0, |m, &v| {
                *m = v.max(*m);
                Some(*m)
            })
            .collect()
    };
    let (polls, processed) = (upto("polled"), upto("processed"));
    let mut losing = 0;
    for r in &x.singles {
        let p = &x.points[r.faults[0].point];
        let want = polled_after[polls[p.instant] as usize] - processed[p.instant];
        assert_eq!(r.outcome.anomalies[Anomaly::LostProcessing], want, "{}", p.text);
        assert_eq!(r.outcome.anomalies[Anomaly::DuplicateProcessing], 0, "{}", p.text);
        assert_eq!(r.outcome.anomalies[Anomaly::LostAcked], 0, "{}", p.text);
        losing += usize::from(want > 0);
    }
    (x, polled_after, losing)
}

#[test]
fn the_explore_command_prints_a_table_and_a_summary_and_exits_zero() {
    let path = temp_file("tiny.toml", &(TINY.to_string() + "\n[expect]\nduplicate_processing = 0\n"));
    let (code, out, err) = kafkasim(&["explore", &path]);
    assert_eq!(code, 0, "exploring is not judging, even where [expect] fails: {err}");
    assert!(out.contains("seed 1, depth 1: 16 crash points at 10 instants, 1 candidate fault(s), 10 runs"), "{out}");
    assert!(out.contains("candidate #1: crash consumer:c1, restart after 1000 ms"), "{out}");
    let row = out.lines().find(|l| l.trim_start().starts_with("p1#0 processed .. c1 processed 1")).expect("a row");
    assert!(row.contains("duplicate_processing 1") && row.contains("fails"), "{row}");
    assert!(out.contains("summary of candidate #1 (16 points swept):"), "{out}");
    assert!(out.contains("[expect] fails at 2 of 16 points"), "{out}");
}

#[test]
fn the_explore_command_prints_one_json_object_with_every_points_trigger_and_trace_hash() {
    let path = temp_file("tiny-json.toml", TINY);
    let (code, out, _) = kafkasim(&["explore", &path, "--format", "json", "--depth", "2", "--max-runs", "30"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1, "one object on one line");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["depth"], 2);
    assert_eq!(v["points"].as_array().unwrap().len(), 16);
    assert_eq!(v["points"][10]["trigger"], "c1 polled 1");
    let singles = v["singles"].as_array().unwrap();
    assert_eq!(singles.len(), 16);
    assert_eq!(singles[11]["faults"][0]["trigger"], "p1#0 processed");
    assert_eq!(singles[11]["anomalies"]["duplicate_processing"], 1);
    assert_eq!(singles[11]["trace_hash"].as_str().unwrap().len(), 16);
    let pairs = v["pairs"].as_array().unwrap().len();
    assert!(pairs > 0 && pairs <= 20, "the cap leaves 20 runs for pairs: {pairs}");
    assert_eq!(v["runs"], 16 - 6 + pairs as u64, "10 instants, then the pairs");
    assert!(!v["notes"].as_array().unwrap().is_empty());
    assert!(v["pairs"][0]["interaction"].is_boolean());
    assert_eq!(v["candidates"][0]["target"], "consumer:c1");
}

#[test]
fn the_explore_command_exits_two_on_a_scenario_without_faults() {
    let body = TINY.split("[[fault]]").next().unwrap();
    let path = temp_file("nofault.toml", body);
    let (code, out, err) = kafkasim(&["explore", &path]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains(&path) && err.contains("no [[fault]]"), "{err}");
}

#[test]
fn a_pinned_fault_stays_where_the_file_puts_it_while_the_other_moves() {
    // TINY with a second fault, pinned: a pause of the consumer at 3 s (it stays in every run).
    let src = format!(
        "{TINY}\n[[fault]]\nat_ms = 3000\naction = \"pause\"\ntarget = \"consumer:c1\"\nduration_ms = 500\npin = true\n"
    );
    let s = parse_str(&src, "pinned.toml").unwrap();
    assert!(s.faults[1].pin && !s.faults[0].pin);
    let x = explore(&s, &opts(1, 10_000)).unwrap();
    assert_eq!(x.candidates.len(), 1, "a pinned fault is no candidate");
    assert_eq!(x.pinned, vec!["pause consumer:c1 for 500 ms at 3000 ms".to_string()]);
    // The baseline is the run with only the pinned fault; every run of the sweep keeps it.
    let mut only_pinned = s.clone();
    only_pinned.faults.remove(0);
    assert_eq!(run_seed(&only_pinned, 1, RunOptions::default()).unwrap().0.trace_hash, x.baseline.trace_hash);
    let r = &x.singles[x.singles.len() / 2];
    let placed = place(&s, &[(0, &x.points[r.faults[0].point].trigger)]);
    assert_eq!(placed.faults.len(), 2, "the pinned fault and the placed one");
    assert_eq!(run_seed(&placed, 1, RunOptions::default()).unwrap().0.trace_hash, r.outcome.trace_hash);
    assert!(x.to_text().contains("pinned: pause consumer:c1 for 500 ms at 3000 ms"), "{}", x.to_text());
    assert!(x.to_text().contains("baseline (pinned faults only): trace_hash"));

    // Every fault pinned: nothing to move.
    let all =
        parse_str(&src.replacen("restart_after_ms = 1000\n", "restart_after_ms = 1000\npin = true\n", 1), "all.toml")
            .unwrap();
    assert_eq!(explore(&all, &opts(1, 100)).unwrap_err(), ExploreError::NoFaults);
    // `pin` takes a boolean.
    let e = parse_str(&src.replace("pin = true", "pin = \"yes\""), "bad.toml").unwrap_err();
    assert!(e.to_string().contains("bad.toml:"), "{e}");
}

#[test]
fn the_readmes_acks1_example_shows_its_99_record_loss_with_its_pauses_pinned() {
    let s = common::example("acks1-leader-failure");
    assert_eq!(s.faults.iter().filter(|f| f.pin).count(), 2, "the two pauses are pinned");
    let (report, _) = run_seed(&s, s.seed, RunOptions::default()).unwrap();
    assert_eq!(report.anomalies[Anomaly::LostAcked], 99, "the file's own run");
    // Sampled sweep (debug build): one instant in K, rows merged across unswept points.
    let x = explore(&s, &opts(1, 150)).unwrap();
    assert!(x.sampled);
    let at_the_files_point: Vec<u64> = x
        .singles
        .iter()
        .filter(|r| (395..=405).contains(&x.points[r.faults[0].point].at_ms))
        .map(|r| r.outcome.anomalies[Anomaly::LostAcked])
        .collect();
    assert!(!at_the_files_point.is_empty());
    assert!(at_the_files_point.iter().all(|&n| (94..=104).contains(&n)), "{at_the_files_point:?}");
    let text = x.to_text();
    let rows = text.lines().filter(|l| l.contains("lost_acked") && l.contains("holds")).count();
    let runs_with_loss = x.singles.iter().filter(|r| r.outcome.anomalies[Anomaly::LostAcked] > 0).count();
    assert!(rows < runs_with_loss, "rows merge across unswept points: {rows} rows for {runs_with_loss} runs");
}

#[test]
fn interacting_pairs_are_ranked_by_how_much_worse_they_are_together_than_apart() {
    // Two crashes of a consumer that commits before processing lose more than either alone.
    let src = std::fs::read_to_string("examples/scenarios/commit-before-processing-crash.toml")
        .unwrap()
        .replace("records = 1000", "records = 100")
        .replace("\"max.poll.records\" = 100", "\"max.poll.records\" = 30");
    let x = explore(&parse_str(&src, "cbp.toml").unwrap(), &opts(2, 300)).unwrap();
    for p in &x.pairs {
        assert_eq!(
            x.excess(p) > 0,
            x.is_interaction(p),
            "an interaction is exactly a pair worse than each fault alone"
        );
    }
    let text = x.to_text();
    let worse: Vec<u64> = text
        .lines()
        .skip_while(|l| !l.contains("worse by"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().last().unwrap().trim_start_matches('+').parse().unwrap())
        .collect();
    assert!(worse.len() > 5, "{text}");
    let mut sorted = worse.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(worse, sorted, "worst first: {text}");
    assert!(worse[0] > *worse.last().unwrap(), "{text}");
    let json: serde_json::Value = serde_json::from_str(&x.to_json()).unwrap();
    assert!(json["pairs"].as_array().unwrap().iter().all(|p| p["worse_by"].is_u64()));
}
