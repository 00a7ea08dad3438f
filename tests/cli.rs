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
