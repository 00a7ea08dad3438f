//! The `kafkasim run` command line: exit statuses, formats, seeds and bad input.

mod common;
use common::{kafkasim, temp_file};

#[test]
fn a_scenario_whose_expectations_hold_exits_zero_and_prints_a_text_report() {
    let (code, out, _) = kafkasim(&["run", "examples/scenarios/acks1-leader-failure.toml"]);
    assert_eq!(code, 0);
    assert!(out.contains("lost_acked"), "{out}");
    assert!(out.contains("acked at orders/0 offset"), "the report explains each lost record: {out}");
}

#[test]
fn a_failed_expectation_exits_one() {
    let src = std::fs::read_to_string("examples/scenarios/acks1-leader-failure.toml").unwrap();
    let path = temp_file("fails.toml", &src.replace("lost_acked = \">0\"", "lost_acked = 0"));
    let (code, out, _) = kafkasim(&["run", &path]);
    assert_eq!(code, 1);
    assert!(out.contains("lost_acked: expected 0, got"), "{out}");
}

#[test]
fn json_format_prints_one_object_per_seed_in_seed_order() {
    let (code, out, _) =
        kafkasim(&["run", "examples/scenarios/acks-all-nemesis-sweep.toml", "--seeds", "3..7", "--format", "json"]);
    assert_eq!(code, 0);
    let seeds: Vec<u64> =
        out.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["seed"].as_u64().unwrap()).collect();
    assert_eq!(seeds, [3, 4, 5, 6, 7]);
}

#[test]
fn seed_flag_overrides_the_files_seed_and_replays_exactly() {
    let run = |seed: &str| {
        kafkasim(&["run", "examples/scenarios/acks-all-nemesis-sweep.toml", "--seed", seed, "--format", "json"]).1
    };
    let a = run("11");
    assert_eq!(a, run("11"));
    assert_ne!(a, run("12"));
    assert!(a.contains("\"seed\":11"), "{a}");
}

#[test]
fn trace_all_adds_a_header_and_one_fixed_column_line_per_event() {
    let (code, out, _) = kafkasim(&["run", "examples/scenarios/acks1-leader-failure.toml", "--trace", "all"]);
    assert_eq!(code, 0);
    let events: usize =
        out.lines().find(|l| l.starts_with("events")).unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
    let trace: Vec<&str> = out.lines().take_while(|l| !l.starts_with("scenario:")).collect();
    assert_eq!(trace[0], kafkasim::world::TRACE_HEADER);
    assert_eq!(trace.len(), events + 1);
}

#[test]
fn trace_takes_a_filter_of_families_and_refuses_an_unknown_one() {
    let (code, out, _) = kafkasim(&["run", "examples/scenarios/acks1-leader-failure.toml", "--trace", "faults"]);
    assert_eq!(code, 0);
    let trace: Vec<&str> = out.lines().skip(1).take_while(|l| !l.starts_with("scenario:")).collect();
    assert_eq!(trace.len(), 6, "3 faults, 2 heals, 1 restart: {trace:#?}");
    assert!(trace[2].contains("fault crash leader:orders/0 (broker:1)"), "{}", trace[2]);
    let (code, _, err) = kafkasim(&["run", "examples/scenarios/acks1-leader-failure.toml", "--trace", "fautls"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown trace family `fautls`"), "{err}");
}

#[test]
fn an_unknown_key_exits_two_naming_file_line_column_and_the_nearest_key() {
    let path = temp_file(
        "typo.toml",
        "name = \"x\"\n[cluster]\nbrokers = 3\n[[topic]]\nname = \"t\"\nreplicaton_factor = 3\n",
    );
    let (code, out, err) = kafkasim(&["run", &path]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "nothing is run on bad input");
    assert!(err.contains(&format!("{path}:6:1:")), "{err}");
    assert!(err.contains("replication_factor"), "{err}");
}

#[test]
fn a_replication_factor_above_the_broker_count_exits_two() {
    let path =
        temp_file("rf.toml", "name = \"x\"\n[cluster]\nbrokers = 2\n[[topic]]\nname = \"t\"\nreplication_factor = 3\n");
    let (code, _, err) = kafkasim(&["run", &path]);
    assert_eq!(code, 2);
    assert!(err.contains(":6:"), "{err}");
}

#[test]
fn a_trigger_naming_no_client_exits_two() {
    let src = std::fs::read_to_string("examples/scenarios/retries-duplicate.toml").unwrap();
    let path = temp_file("trigger.toml", &src.replace("after = \"p1#17 appended\"", "after = \"p2#17 appended\""));
    let (code, _, err) = kafkasim(&["run", &path]);
    assert_eq!(code, 2);
    assert!(err.contains("p2") && err.contains("p1"), "names the unknown client and the nearest one: {err}");
}

#[test]
fn a_missing_file_exits_two() {
    let (code, _, err) = kafkasim(&["run", "no/such/file.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("no/such/file.toml"), "{err}");
}

#[test]
fn findings_all_prints_every_lost_record_and_findings_n_prints_n_and_counts_the_rest() {
    let f = "examples/scenarios/acks1-leader-failure.toml";
    let (_, all, _) = kafkasim(&["run", f, "--findings", "all"]);
    let (_, two, _) = kafkasim(&["run", f, "--findings", "2"]);
    let (_, default, _) = kafkasim(&["run", f]);
    let lost = |out: &str| out.lines().filter(|l| l.starts_with("  - p1#")).count();
    assert_eq!(lost(&all), 99, "{all}");
    assert_eq!(lost(&two), 2, "{two}");
    assert!(two.contains("... and 97 more not shown"), "{two}");
    assert_eq!(lost(&default), 10, "{default}");
    let (code, _, err) = kafkasim(&["run", f, "--findings", "some"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn explain_tells_one_records_story_and_an_unknown_record_exits_two_before_running() {
    let f = "examples/scenarios/acks1-leader-failure.toml";
    let (code, out, _) = kafkasim(&["run", f, "--explain", "p1#299"]);
    assert_eq!(code, 0);
    let story = out.split("explain p1#299:").nth(1).expect("an explain section");
    assert!(story.contains("got its acknowledgement: orders/0 offset 299, from broker 1"), "{story}");
    assert!(story.contains("no replica's log holds it"), "{story}");
    let (code, out, err) = kafkasim(&["run", f, "--explain", "p9#1"]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "nothing ran: {out}");
    assert!(err.contains("did you mean `p1`"), "{err}");
}

#[test]
fn a_sweep_ends_with_a_summary_and_a_to_b_includes_b_written_either_way() {
    let f = "examples/scenarios/process-then-commit-nemesis-sweep.toml";
    let (_, a, _) = kafkasim(&["run", f, "--seeds", "1..3"]);
    let (_, b, _) = kafkasim(&["run", f, "--seeds", "1..=3"]);
    assert_eq!(a, b);
    assert_eq!(a.lines().filter(|l| l.starts_with("seed ")).count(), 3, "{a}");
    let summary = a.split("summary of seeds 1..=3 (3 runs):").nth(1).expect("a summary");
    assert!(summary.contains("[expect] held for 3 of 3 seeds"), "{summary}");
    let (_, json, _) = kafkasim(&["run", f, "--seeds", "1..=3", "--format", "json"]);
    assert_eq!(json.lines().count(), 3, "JSON lines carry no summary: {json}");
}

#[test]
fn a_report_with_no_anomaly_shows_its_evidence() {
    let (_, out, _) = kafkasim(&["run", "examples/scenarios/idempotence-dedup.toml"]);
    let evidence = out.split("\nevidence:\n").nth(1).expect("an evidence section");
    assert!(evidence.contains("retried batch acknowledged and written once"), "{out}");
    let (_, out, _) = kafkasim(&["run", "examples/scenarios/read-committed-skips-aborted.toml", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let skipped = v["evidence"].as_array().unwrap().iter().find(|e| e["kind"] == "aborted_skipped").cloned();
    assert!(skipped.is_some_and(|e| e["count"].as_u64() > Some(0)), "{v}");
}
