//! Hardening against hostile or careless input (issue 15): each test below names a defect the
//! command line or the loader had, the input that showed it, and the fix. Bad input gets one line
//! `FILE:LINE:COL: message` (or the argument parser's `error: ...`) and exit status 2, never a
//! panic and never an allocation that grows with a number the user typed.

mod common;
use common::{kafkasim, temp_file};

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const SCENARIO: &str = "examples/scenarios/retries-duplicate.toml";

/// Bug: `--seeds 0..18446744073709551615` printed nothing and exited 0 (the seed count wrapped to
/// 0), `1..18446744073709551615` panicked with "capacity overflow", `1..100000000` allocated
/// 5.5 GB before the first seed. Fix: the range is checked when parsed: an empty range, or one of
/// more than 10,000,000 seeds, exits 2 with a message naming the range and the limit.
#[test]
fn an_empty_overflowing_or_too_long_seed_range_exits_two_naming_the_range_and_the_limit() {
    for (range, says) in [
        ("0..18446744073709551615", "the range 0..18446744073709551615 has more than 10000000 seeds"),
        ("1..18446744073709551615", "the range 1..18446744073709551615 has more than 10000000 seeds"),
        ("1..100000000", "the range 1..100000000 has more than 10000000 seeds"),
        ("1..10000001", "the range 1..10000001 has more than 10000000 seeds"),
        ("5..3", "empty range 5..3"),
        ("1..1e9", "`1e9` is not a seed"),
        ("1..18446744073709551616", "`18446744073709551616` is not a seed"),
    ] {
        let (code, out, err) = kafkasim(&["run", SCENARIO, "--seeds", range]);
        assert_eq!(code, 2, "{range}: {err}");
        assert!(out.is_empty(), "{range}: nothing is run: {out}");
        assert!(err.contains(says), "{range}: {err}");
        assert!(!err.contains("panicked"), "{range}: {err}");
    }
}

/// Bug: a sweep allocated a slot per seed before running the first, and `| head -1` still
/// computed every seed (its writes to the closed pipe were ignored). Fix: seeds run in a bounded
/// window ahead of the one printed next, and a closed standard output ends the run quietly with
/// status 0. Input: the largest sweep allowed, `--seeds 1..10000000`, read for one line.
#[test]
fn a_sweep_streams_its_reports_and_a_closed_pipe_ends_it_quietly_with_status_zero() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kafkasim"))
        .args(["run", SCENARIO, "--seeds", "1..10000000", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kafkasim");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first).expect("a line");
    assert!(first.starts_with('{') && first.contains("\"seed\":1"), "{first}");
    // The reader is dropped here: the pipe is closed after one line, as `head -1` does.
    let out = child.wait_with_output().expect("kafkasim ends");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "quietly: {}", String::from_utf8_lossy(&out.stderr));
}

/// Bug: `kafkasim run X > /dev/full` exited 0, the report silently lost. Fix: a failed write to
/// standard output (other than a closed pipe) prints one line naming the error and exits 2, for
/// `run`, a sweep and `explore` alike.
#[test]
#[cfg(target_os = "linux")]
fn writing_the_report_to_a_full_disk_exits_two_with_a_message() {
    for args in [
        &["run", SCENARIO][..],
        &["run", SCENARIO, "--seeds", "1..3"][..],
        &["run", SCENARIO, "--format", "json"][..],
        &["explore", SCENARIO, "--max-runs", "3"][..],
    ] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        let out = Command::new(env!("CARGO_BIN_EXE_kafkasim")).args(args).stdout(full).output().expect("run kafkasim");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains("cannot write the report to standard output: No space left on device"), "{args:?}: {err}");
    }
}

/// `retries-duplicate.toml` with `old` replaced by `new` (once), written to a temporary file.
fn variant(name: &str, old: &str, new: &str) -> String {
    let src = std::fs::read_to_string(SCENARIO).expect("the example");
    assert!(src.contains(old), "{old}");
    common::temp_file(name, &src.replacen(old, new, 1))
}

/// Bug: a `\n` or terminal escape in a string value was copied raw into the error message, so
/// `topic = "t\nFAKE.toml:1:1: everything is fine"` printed a second, fake error line. Fix: every
/// `FILE:LINE:COL: message` writes control characters out (`\n`, `\u{1b}`).
#[test]
fn a_control_character_quoted_in_an_error_is_escaped_and_the_error_stays_one_line() {
    let path =
        variant("fake-line.toml", "topic = \"orders\"", "topic = \"t\\nFAKE.toml:1:1: everything is fine\\u001b[2J\"");
    let (code, _, err) = kafkasim(&["run", &path]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("topic `t\\nFAKE.toml:1:1: everything is fine\\u{1b}[2J` is not declared"), "{err}");
    assert!(!err.contains('\u{1b}'), "{err}");
}

/// Bug: the scenario's name and a client's name went raw into the text report, so a name with
/// `\u001b[2J` cleared the reader's terminal and one with `\n` added report lines. Fix: the text
/// report writes control characters out (its own line breaks stay).
#[test]
fn a_control_character_in_a_name_is_escaped_in_the_text_report() {
    let path = variant("hostile-name.toml", "name = \"retries", "name = \"\\u001b[2J\\rexpect: passed\\nretries");
    let path = {
        let src = std::fs::read_to_string(&path).unwrap().replacen("name = \"p1\"", "name = \"p\\u0007\"", 1);
        let src = src.replace("p1", "p\\u0007");
        common::temp_file("hostile-name-2.toml", &src)
    };
    let (code, out, err) = kafkasim(&["run", &path]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("scenario: \\u{1b}[2J\\rexpect: passed\\nretries without"), "{out}");
    assert!(out.contains("p\\u{7}"), "{out}");
    assert!(!out.contains(['\u{1b}', '\r', '\u{7}']), "{out}");
}

/// Bug: a fault whose `at_ms` is past `duration_ms` was accepted silently, though it can never
/// fire. Fix: it is still accepted (the run is the same), with one warning line on standard
/// error at the value: `FILE:LINE:COL: warning: this fault can never fire: ...`. Input:
/// `acks1-leader-failure.toml` (duration_ms 60000) with its second pause at `at_ms = 90000`.
#[test]
fn a_fault_past_the_end_of_the_run_is_accepted_with_a_warning() {
    let src = std::fs::read_to_string("examples/scenarios/acks1-leader-failure.toml").unwrap();
    let lines: Vec<&str> = src.lines().collect();
    assert_eq!(lines[37], "at_ms = 300", "line 38 of the example is its second pause's time");
    let path = common::temp_file(
        "late-fault.toml",
        &src.replacen(
            "\nat_ms = 300\naction = \"pause\"\ntarget = \"broker:3\"",
            "\nat_ms = 90000\naction = \"pause\"\ntarget = \"broker:3\"",
            1,
        ),
    );
    let (code, out, err) = kafkasim(&["run", &path]);
    assert!(code == 0 || code == 1, "accepted and run: {err}");
    assert!(out.starts_with("scenario: "), "{out}");
    let want = format!("{path}:38:9: warning: this fault can never fire: at_ms 90000 is past duration_ms 60000");
    assert_eq!(err.trim_end(), want);
    let (_, _, quiet) = kafkasim(&["run", "examples/scenarios/acks1-leader-failure.toml"]);
    assert!(quiet.is_empty(), "no warning for a fault in time: {quiet}");
}

/// Bug: after a UTF-8 byte order mark, the columns of line 1 were one too many (the mark counted
/// as a character). Input: `\u{feff}name = 1`. Fix: a leading byte order mark is no column.
#[test]
fn a_byte_order_mark_does_not_shift_the_columns_of_line_one() {
    let e = kafkasim::scenario::parse_str("\u{feff}name = 1\n", "bom.toml").unwrap_err();
    assert_eq!(e.to_string(), "bom.toml:1:8: `name` must be a string, found an integer");
    let e = kafkasim::scenario::parse_str("name = 1\n", "plain.toml").unwrap_err();
    assert_eq!((e.line, e.column), (1, 8));
}

/// Bug: `kafkasim run -` looked for a file called `-`. Fix: `-` reads the scenario from standard
/// input, for `run` and `explore`, and messages name it `<stdin>`.
#[test]
fn a_dash_reads_the_scenario_from_standard_input_named_stdin_in_messages() {
    use std::io::Write;
    let feed = |args: &[&str], input: &[u8]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kafkasim"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kafkasim");
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let src = std::fs::read(SCENARIO).unwrap();
    let (code, out, err) = feed(&["run", "-"], &src);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, kafkasim(&["run", SCENARIO]).1, "the same report as from the file");
    let (code, out, _) = feed(&["explore", "-", "--max-runs", "2"], &src);
    assert_eq!(code, Some(0));
    assert!(!out.is_empty());
    for cmd in ["run", "explore"] {
        let (code, out, err) = feed(&[cmd, "-"], b"name = 1\n");
        assert_eq!(code, Some(2), "{cmd}");
        assert!(out.is_empty(), "{cmd}: {out}");
        assert_eq!(err, "<stdin>:1:8: `name` must be a string, found an integer\n", "{cmd}");
    }
}

/// Bug: a scenario was read whole whatever its size, so `kafkasim run /dev/zero` or an endless
/// standard input allocated without end. Fix: the loader reads at most 16 MiB and says so.
#[test]
fn an_endless_scenario_is_refused_after_sixteen_mebibytes() {
    let (code, _, err) = kafkasim(&["run", "/dev/zero"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err, "/dev/zero:0:0: the scenario is longer than 16777216 bytes, the most the loader reads\n");
}

/// Bug: a key written in the wrong table got the nearest spelling of that table's keys, which
/// was no help: `brokers = 3` without its `[cluster]` header got "did you mean `producer`?", and
/// `acks` written in `[[producer]]` instead of `[producer.config]` got "did you mean `keys`?".
/// Fix: a key of another table (a client, topic or broker config key, a `[cluster]` key) is
/// told where it belongs; a plain typo still gets the nearest key. The same for a Kafka setting
/// spelled like a table key (`min_insync_replicas = 2` in `[[topic]]` got "did you mean
/// `partitions`?"): it is told the setting's name and its table; and a processor's
/// `application_id` (got "did you mean `config`?") is told it is the processor's `group`.
#[test]
fn a_key_written_in_the_wrong_table_is_told_where_it_belongs() {
    let err = |src: &str| kafkasim::scenario::parse_str(src, "f.toml").unwrap_err().to_string();
    assert_eq!(
        err("name = \"x\"\nbrokers = 3\n"),
        "f.toml:2:1: unknown key `brokers` at the top level: `brokers` is a cluster setting: put it under [cluster]"
    );
    assert_eq!(
        err("name = \"x\"\n\"min.insync.replicas\" = 2\n"),
        "f.toml:2:1: unknown key `min.insync.replicas` at the top level: `min.insync.replicas` is a broker \
         setting: put it under [cluster.config]"
    );
    let src = std::fs::read_to_string(SCENARIO).unwrap();
    let with = |old: &str, new: &str| err(&src.replacen(old, new, 1));
    assert_eq!(
        with("topic = \"orders\"\n", "topic = \"orders\"\nacks = \"all\"\n"),
        "f.toml:21:1: unknown key `acks` in [[producer]]: `acks` is a client setting: put it under [producer.config]"
    );
    assert_eq!(
        with("brokers = 3\n", "brokers = 3\n\"min.insync.replicas\" = 2\n"),
        "f.toml:12:1: unknown key `min.insync.replicas` in [cluster]: `min.insync.replicas` is a broker setting: \
         put it under [cluster.config]"
    );
    assert_eq!(
        with("topic = \"orders\"\n", "topic = \"orders\"\nenable_idempotence = true\n"),
        "f.toml:21:1: unknown key `enable_idempotence` in [[producer]]: `enable_idempotence` is the client \
         setting \"enable.idempotence\": put it under [producer.config] as \"enable.idempotence\" = ..."
    );
    assert_eq!(
        err("name = \"x\"\n[[topic]]\nname = \"t\"\npartitions = 1\nmin_insync_replicas = 2\n"),
        "f.toml:5:1: unknown key `min_insync_replicas` in [[topic]]: `min_insync_replicas` is the topic setting \
         \"min.insync.replicas\": put it under [topic.config] as \"min.insync.replicas\" = ..."
    );
    assert_eq!(
        err("name = \"x\"\n[[processor]]\nname = \"s1\"\napplication_id = \"app\"\n"),
        "f.toml:4:1: unknown key `application_id` in [[processor]]: a processor's application.id is its \
         consumer group: write `group = \"...\"`"
    );
    assert_eq!(
        with("topic = \"orders\"\n", "topic = \"orders\"\nkey = 1\n"),
        "f.toml:21:1: unknown key `key` in [[producer]]; did you mean `keys`?"
    );
}

/// Bug: a group name is free text, and `group = "g1\nFAKE LINE"` started a line of its own in the
/// text report's consumers table. Fix: every table cell writes its control characters out, line
/// breaks included.
#[test]
fn a_line_break_in_a_group_name_stays_in_its_table_cell() {
    let src = std::fs::read_to_string("examples/scenarios/zombie-consumer.toml").unwrap();
    let path = common::temp_file("group-break.toml", &src.replacen("group = \"g1\"", "group = \"g1\\nFAKE LINE\"", 1));
    let (_, out, err) = kafkasim(&["run", &path]);
    assert!(out.contains("\n  c1        g1\\nFAKE LINE       "), "{out}{err}");
    assert!(!out.lines().any(|l| l.starts_with("FAKE")), "{out}");
}

/// Issue 15, item 1: a pause that never heals under a `duration_ms` of centuries never
/// settles; `--max-events` ends it with a message, its partial report, and exit status 2
/// instead of running for hours.
#[test]
fn a_run_that_never_ends_is_stopped_by_max_events_with_exit_status_2() {
    let path = temp_file(
        "forever.toml",
        r#"
name = "a pause that never ends"
duration_ms = 9000000000000
[cluster]
brokers = 1
[[topic]]
name = "t"
partitions = 1
replication_factor = 1
[[producer]]
name = "p1"
topic = "t"
records = 10
[[fault]]
at_ms = 100
action = "pause"
target = "broker:1"
duration_ms = 9000000000000
"#,
    );
    let (code, stdout, stderr) = kafkasim(&["run", &path, "--max-events", "20000"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("the run handled 20000 events") && stderr.contains("--max-events 20000"), "{stderr}");
    assert!(stdout.contains("lost_acked") || stdout.contains("anomalies"), "the partial report is printed: {stdout}");
    assert!(stdout.contains("the run stopped after 20000 events (max_events)"), "{stdout}");
    let (_, json, _) = kafkasim(&["run", &path, "--max-events", "20000", "--format", "json"]);
    assert!(json.contains("\"ended\":\"max_events\""), "{json}");
    let (code, _, stderr) = kafkasim(&["run", &path, "--max-events", "0"]);
    assert_eq!(code, 2, "{stderr}");
}

/// Issue 15: `records = 1000000000` with `duration_ms = 1` aborted the process ("memory
/// allocation of 40000000000 bytes failed"): the checker's index allocated a slot for every
/// declared record before reading the history. It now grows as the history names records, so
/// the run (which sends a handful) is judged like any other.
#[test]
fn a_billion_declared_records_that_are_never_sent_cost_no_memory() {
    let path = temp_file(
        "billion.toml",
        r#"
name = "big"
duration_ms = 1
[cluster]
brokers = 1
[[topic]]
name = "t"
partitions = 1
replication_factor = 1
[[producer]]
name = "p1"
topic = "t"
records = 1000000000
"#,
    );
    let (code, stdout, stderr) = kafkasim(&["run", &path]);
    assert!(code == 0 || code == 1, "exit {code}: {stderr}");
    assert!(stdout.contains("scenario: big"), "{stdout}");
}

/// Bug: `World::new` kept a state for every ordered pair of nodes, so memory grew with the
/// square of the clients: 10,000 producers took 4.7 GB and 13 s, and 400 consumers of 64
/// instances each (a valid 2,004-line file, 25,603 nodes) aborted on a 21 GB allocation. Fix: the
/// net keeps a connection only for a pair that talked (a client talks to brokers only); the
/// 10,000 producers now take 59 MB and 1.5 s, the 400 x 64 members 276 MB.
#[test]
fn four_hundred_consumers_of_sixty_four_instances_load_and_run() {
    let mut src = String::from(
        "name = \"many members\"\nduration_ms = 5\n[cluster]\nbrokers = 3\n[[topic]]\nname = \"t\"\npartitions = 3\n",
    );
    for i in 0..400 {
        src.push_str(&format!("[[consumer]]\nname = \"c{i}\"\ngroup = \"g{i}\"\ntopics = [\"t\"]\ninstances = 64\n"));
    }
    let path = temp_file("members.toml", &src);
    let (code, stdout, stderr) = kafkasim(&["run", &path, "--format", "json"]);
    assert!(code == 0 || code == 1, "exit {code}: {stderr}");
    assert!(stdout.contains("\"scenario\":\"many members\""), "{stdout}");
}

/// A scenario named `big` of `brokers` brokers, then `rest`, as a file's text.
fn sized(brokers: u32, rest: &str) -> String {
    format!("name = \"big\"\n[cluster]\nbrokers = {brokers}\n{rest}")
}

/// Bug: the loader took any number of topics and any partitions x replication factor the broker
/// count allowed: 50 topics of 1,000 partitions at replication factor 64 took 2.3 GB and 13 s
/// before the first record (more aborted), and 10,000,000 topics were read whole. Fix: a
/// scenario beyond what one process holds is refused with the key, the estimate and the limit:
/// at most 10,000 topics, 200,000 replicas (`partitions` x `replication_factor` summed over the
/// topics), 1,000,000 broker-partitions (every broker keeps every partition's metadata), and
/// 4,000,000 client-partitions (every producer and member keeps state per partition); the
/// internal topics count with the file's.
#[test]
fn a_cluster_too_big_for_one_process_is_refused_naming_the_key_the_estimate_and_the_limit() {
    let err = |src: &str| kafkasim::scenario::parse_str(src, "f.toml").unwrap_err().to_string();
    let topics = |n: usize, partitions: u32, rf: u32| {
        (0..n)
            .map(|i| format!("[[topic]]\nname = \"t{i}\"\npartitions = {partitions}\nreplication_factor = {rf}\n"))
            .collect::<String>()
    };
    // Four topics of 1,000 partitions at replication factor 64: the fourth crosses 200,000.
    assert_eq!(
        err(&sized(64, &topics(4, 1000, 64))),
        "f.toml:18:14: the topics up to this one hold 256000 replicas (`partitions` x `replication_factor` \
         summed; this topic 1000 x 64), about 115 MB of broker state: the most is 200000"
    );
    assert_eq!(
        err(&sized(64, &topics(16, 1000, 1))),
        "f.toml:66:14: the topics up to this one have 16000 `partitions`, whose metadata each of the 64 \
         `brokers` keeps: 1024000 broker-partitions, about 307 MB: the most is 1000000"
    );
    let many = sized(1, &topics(10_001, 1, 1));
    assert_eq!(err(&many), "f.toml:40004:1: this is topic 10001 of 10001: a scenario may have at most 10000 topics");
    let clients: String =
        (0..1001).map(|i| format!("[[producer]]\nname = \"p{i}\"\ntopic = \"t0\"\nrecords = 1\n")).collect();
    assert_eq!(
        err(&sized(3, &(topics(4, 1000, 1) + &clients))),
        "f.toml:18:14: the topics up to this one have 4000 `partitions`, and each of the 1001 clients (1001 \
         producers, 0 group members) keeps state for every partition: 4004000 client-partitions, about 560 MB: \
         the most is 4000000"
    );
    // The internal `__consumer_offsets` counts too: 2,001 consumers of a 1,000-partition topic.
    let consumers: String =
        (0..2001).map(|i| format!("[[consumer]]\nname = \"c{i}\"\ngroup = \"g\"\ntopics = [\"t0\"]\n")).collect();
    let offsets = "[cluster.config]\n\"offsets.topic.num.partitions\" = 1000\n";
    assert_eq!(
        err(&sized(3, &(offsets.to_string() + &topics(1, 1000, 1) + &consumers))),
        "f.toml:8:14: the topics up to this one (with the internal topics' 1000 partitions) have 2000 \
         `partitions`, and each of the 2001 clients (0 producers, 2001 group members) keeps state for every \
         partition: 4002000 client-partitions, about 560 MB: the most is 4000000"
    );
    // Within every limit: loaded.
    assert!(kafkasim::scenario::parse_str(&sized(64, &topics(3, 1000, 64)), "f.toml").is_ok());
}

/// Bug: the producer and member counts had no limit (a 16 MiB file holds 400,000 producers, and
/// checking their names took time with the square of their number). Fix: at most 50,000
/// producers and 50,000 group members (`instances` summed over consumers and processors), each
/// refused at the table that crosses the limit, and client names are checked in a map.
#[test]
fn too_many_producers_or_group_members_are_refused_at_the_table_that_crosses_the_limit() {
    use kafkasim::scenario::{ConsumerSpec, ProducerSpec};
    let mut s = common::inline(&sized(1, "[[topic]]\nname = \"t\"\n"));
    s.producers = (0..50_001).map(|i| ProducerSpec::new(&format!("p{i}"), "t", 1)).collect();
    let problems = s.validate().unwrap_err();
    assert_eq!(problems[0].path, "producer[50000]");
    assert_eq!(problems[0].message, "50001 `[[producer]]` tables, about 300 MB: the most is 50000");
    // A file says so at the first table too many, before reading any.
    let err = kafkasim::scenario::parse_str(&sized(1, &"[[producer]]\n".repeat(50_001)), "f.toml").unwrap_err();
    assert_eq!(err.to_string(), "f.toml:50004:1: 50001 `[[producer]]` tables, about 300 MB: the most is 50000");
    s.producers.clear();
    s.consumers = (0..782)
        .map(|i| {
            let mut c = ConsumerSpec::new(&format!("c{i}"), "g", "t");
            c.instances = 64;
            c
        })
        .collect();
    let problems = s.validate().unwrap_err();
    assert_eq!(problems[0].path, "consumer[781].instances");
    assert!(problems[0].message.starts_with("the group members up to this table (`instances` summed"), "{problems:?}");
    assert!(problems[0].message.contains("are 50048, about 550 MB: the most is 50000"), "{problems:?}");
}

/// Bug: a `[nemesis]` under `duration_ms = 1000000000000` drew its whole schedule before the run:
/// "memory allocation of 8589934592 bytes failed" (or 23 GB and the OOM killer). Fix: the loader
/// counts the faults the schedule may hold (one every least `interval_ms` from `start_ms` to
/// `stop_ms` or `duration_ms`) and refuses more than 1,000,000, at `interval_ms`.
#[test]
fn a_nemesis_schedule_too_long_to_hold_is_refused_at_its_interval() {
    let src = "name = \"n\"\nduration_ms = 1000000000000\n[cluster]\nbrokers = 3\n[[topic]]\nname = \"t\"\n\
               [[producer]]\nname = \"p\"\ntopic = \"t\"\nrecords = 10\n[nemesis]\ninterval_ms = [1, 10]\n";
    // Checked through the loader: the old binary would draw the schedule, and fail by taking
    // every gigabyte the machine has.
    let err = kafkasim::scenario::parse_str(src, "f.toml").unwrap_err().to_string();
    assert_eq!(
        err,
        "f.toml:12:15: [nemesis] may draw up to 1000000000000 faults (one every 1 ms, the least `interval_ms`, \
         from `start_ms` 0 to `duration_ms` 1000000000000), about 100000000 MB: the most is 1000000; raise \
         `interval_ms` or set `stop_ms`"
    );
    // The same nemesis stopped after 100 s draws at most 100,000 faults: accepted.
    let stopped = src.replace("interval_ms = [1, 10]\n", "interval_ms = [1, 10]\nstop_ms = 100000\n");
    assert!(kafkasim::scenario::parse_str(&stopped, "f.toml").is_ok());
}

/// Bug: `latency_ms` written under `[cluster]` got "did you mean `brokers`?", the nearest key of
/// the wrong table. Fix: a key of any other table is told where it belongs (every table's keys,
/// not only the config keys and `[cluster]`'s); a key one edit from one of its own table's keys
/// is still taken for a typo.
#[test]
fn a_key_of_another_table_is_told_which_table_it_belongs_under() {
    let err = |src: &str| kafkasim::scenario::parse_str(src, "f.toml").unwrap_err().to_string();
    let src = std::fs::read_to_string(SCENARIO).unwrap();
    let with = |old: &str, new: &str| err(&src.replacen(old, new, 1));
    assert_eq!(
        with("brokers = 3\n", "brokers = 3\nlatency_ms = [1, 5]\n"),
        "f.toml:12:1: unknown key `latency_ms` in [cluster]: `latency_ms` belongs under [network]"
    );
    assert_eq!(
        err("name = \"x\"\nlatency_ms = 3\n"),
        "f.toml:2:1: unknown key `latency_ms` at the top level: `latency_ms` belongs under [network]"
    );
    assert_eq!(
        with("brokers = 3\n", "brokers = 3\ninterval_ms = 5\n"),
        "f.toml:12:1: unknown key `interval_ms` in [cluster]: `interval_ms` belongs under [[producer]] or under [nemesis]"
    );
    assert_eq!(
        with("topic = \"orders\"\n", "topic = \"orders\"\nseed = 7\n"),
        "f.toml:21:1: unknown key `seed` in [[producer]]: `seed` belongs at the top level"
    );
    assert_eq!(
        with("topic = \"orders\"\n", "topic = \"orders\"\npartitions = 7\n"),
        "f.toml:21:1: unknown key `partitions` in [[producer]]: `partitions` belongs under [[topic]]"
    );
    // A consumer's key one edit from the producer's own `topic`: a typo.
    assert_eq!(
        with("topic = \"orders\"\n", "topic = \"orders\"\ntopics = [\"orders\"]\n"),
        "f.toml:21:1: unknown key `topics` in [[producer]]; did you mean `topic`?"
    );
}

/// Bug: each warning's line and column were counted from the start of the file, so a file of
/// 200,000 faults past `duration_ms` (16 MiB) ran for minutes before the run began. Fix: the
/// loader counts each position on from the one before (warnings come in file order). Input:
/// 10,000 such faults (0.8 MB): 45 s in a debug build before, under 3 s now.
#[test]
fn ten_thousand_warnings_are_positioned_in_one_pass_over_the_file() {
    let mut src = String::from("name = \"late\"\nduration_ms = 10\n[cluster]\nbrokers = 1\n");
    for i in 0..10_000 {
        src.push_str(&format!(
            "[[fault]]\nat_ms = {}\naction = \"pause\"\ntarget = \"broker:1\"\nduration_ms = 1\n",
            100 + i
        ));
    }
    let start = std::time::Instant::now();
    let (_, warnings) = kafkasim::scenario::parse_str_with_warnings(&src, "f.toml").unwrap();
    assert!(start.elapsed().as_secs() < 10, "{:?}", start.elapsed());
    assert_eq!(warnings.len(), 10_000);
    assert_eq!(
        warnings[9_999].to_string(),
        "f.toml:50001:9: warning: this fault can never fire: at_ms 10099 is past duration_ms 10"
    );
}
