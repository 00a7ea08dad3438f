//! Your own application as a group member (`kafkasim::app`): the synchronous and the async API
//! against each other and against the built-in loops, crashes, and the virtual clock.

mod common;
use common::*;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use kafkasim::app::{self, Apps, ConsumerApp, Plan, SimConsumer};
use kafkasim::record::{Anomaly, Delivery, EventKind, History};
use kafkasim::report::Report;
use kafkasim::scenario::Scenario;
use kafkasim::{RunOptions, RunOutput};

/// Process the whole batch, then `commitSync()`: the built-in `after-processing` loop.
struct ProcessThenCommit;

impl ConsumerApp for ProcessThenCommit {
    fn on_batch(&mut self, _batch: &[Delivery], plan: &mut Plan) {
        plan.process_all().commit_sync();
    }
}

/// `commitSync()` first, then process the batch.
struct CommitThenProcess;

impl ConsumerApp for CommitThenProcess {
    fn on_batch(&mut self, _batch: &[Delivery], plan: &mut Plan) {
        plan.commit_sync().process_all();
    }
}

/// [`ProcessThenCommit`] written with the async API.
async fn process_then_commit(mut c: SimConsumer) {
    loop {
        let batch = c.poll().await;
        c.process_all(&batch).await;
        let _ = c.commit_sync().await;
    }
}

/// The built-in `before-processing` loop, async: a batch whose commit failed is dropped.
async fn commit_then_process(mut c: SimConsumer) {
    loop {
        let batch = c.poll().await;
        if c.commit_sync().await.is_ok() {
            c.process_all(&batch).await;
        }
    }
}

fn sync_apps() -> Apps {
    Apps::new().consumer("c1", || ProcessThenCommit)
}

fn async_apps() -> Apps {
    Apps::new().async_consumer("c1", process_then_commit)
}

fn run_apps(s: &Scenario, seed: u64, apps: &Apps) -> (Report, RunOutput) {
    app::run(s, seed, RunOptions::default(), apps).unwrap()
}

/// Records of producer 0 (`p1#I`) the history's `Processed` events name, with how often.
fn processed_counts(h: &History, records: u32) -> Vec<u32> {
    let mut n = vec![0; records as usize];
    for e in &h.events {
        if let EventKind::Processed { records, .. } = &e.kind {
            for d in records.iter() {
                n[d.record.index as usize] += 1;
            }
        }
    }
    n
}

fn crashes_of_c1(h: &History) -> usize {
    h.events
        .iter()
        .filter(|e| {
            matches!(&e.kind, EventKind::Fault { action, target, .. }
            if *action == kafkasim::scenario::FaultAction::Crash && target.to_string().starts_with("consumer:c1/"))
        })
        .count()
}

#[test]
fn a_sync_process_then_commit_app_runs_exactly_as_the_built_in_after_processing_consumer() {
    // The crash example (one crash mid-batch) and the nemesis sweep (three members; brokers and
    // members crash, pause and are cut off at random): same report, trace_hash included.
    let crash = example("process-then-commit-crash");
    let sweep = example("process-then-commit-nemesis-sweep");
    for (s, seeds) in [(&crash, 1..=3), (&sweep, 1..=8)] {
        for seed in seeds {
            let (builtin, _) = judge(s, seed);
            let (user, _) = run_apps(s, seed, &sync_apps());
            assert_eq!(user, builtin, "{} seed {seed}", s.name);
        }
    }
}

#[test]
fn the_async_version_of_an_app_gives_the_same_verdicts_and_trace_hash_as_the_sync_one_for_seeds_1_to_20() {
    let s = example("process-then-commit-nemesis-sweep");
    let mut crashed = 0;
    for seed in 1..=20 {
        let (sync, out) = run_apps(&s, seed, &sync_apps());
        let (asynchronous, _) = run_apps(&s, seed, &async_apps());
        assert_eq!(asynchronous, sync, "seed {seed}");
        assert_eq!(sync.anomalies[Anomaly::LostProcessing], 0, "seed {seed}");
        crashed += crashes_of_c1(&out.history);
    }
    // The schedule did crash members (so the comparison covers restarts).
    assert!(crashed >= 5, "only {crashed} member crashes in 20 seeds");
}

#[test]
fn an_async_app_that_only_commits_when_it_can_matches_the_built_in_before_processing_consumer() {
    let s = example("commit-before-processing-crash");
    let apps = Apps::new().async_consumer("c1", commit_then_process);
    for seed in 1..=3 {
        let (builtin, _) = judge(&s, seed);
        let (user, _) = run_apps(&s, seed, &apps);
        assert_eq!(user, builtin, "seed {seed}");
    }
}

#[test]
fn an_async_apps_run_is_deterministic() {
    let s = example("process-then-commit-nemesis-sweep");
    let opts = RunOptions::traced();
    for seed in [3, 11] {
        let (r1, o1) = app::run(&s, seed, opts, &async_apps()).unwrap();
        let (r2, o2) = app::run(&s, seed, opts, &async_apps()).unwrap();
        assert_eq!(r1.trace_hash, r2.trace_hash, "seed {seed}");
        assert_eq!(r1, r2, "seed {seed}");
        assert_eq!(o1.trace, o2.trace, "seed {seed}");
        assert!(!o1.trace.is_empty());
    }
}

#[test]
fn commit_before_processing_loses_the_rest_of_the_batch_a_crash_cuts_and_process_then_commit_repeats_it() {
    // `c1 processed 250` crashes the member in its third batch of 100 (p1#200..299), with
    // p1#200..249 processed. The scenario declares after-processing: at-least-once.
    let s = example("process-then-commit-crash");
    for apps in
        [Apps::new().consumer("c1", || CommitThenProcess), Apps::new().async_consumer("c1", commit_then_process)]
    {
        let (r, out) = run_apps(&s, 1, &apps);
        // The commit of 300 came before the crash: p1#250..299 are never processed, nothing twice.
        let n = processed_counts(&out.history, 1000);
        let never: Vec<usize> = (0..1000).filter(|&i| n[i] == 0).collect();
        assert_eq!(never, (250..300).collect::<Vec<_>>(), "{apps:?}");
        assert!(n.iter().all(|&k| k <= 1), "{apps:?}");
        assert_eq!(r.anomalies[Anomaly::LostProcessing], 50);
        assert_eq!(r.anomalies[Anomaly::DuplicateProcessing], 0);
        assert!(!r.semantics["c1"].holds, "the at-least-once promise is broken");
    }
    for apps in [sync_apps(), async_apps()] {
        let (r, out) = run_apps(&s, 1, &apps);
        // The last commit was 200: the restarted member processes p1#200..249 again.
        let n = processed_counts(&out.history, 1000);
        let twice: Vec<usize> = (0..1000).filter(|&i| n[i] == 2).collect();
        assert_eq!(twice, (200..250).collect::<Vec<_>>(), "{apps:?}");
        assert!(n.iter().all(|k| (1..=2).contains(k)), "{apps:?}");
        assert_eq!(r.anomalies[Anomaly::LostProcessing], 0);
        assert_eq!(r.anomalies[Anomaly::DuplicateProcessing], 50);
        assert!(r.semantics["c1"].holds);
    }
}

/// An app that numbers its instances and logs (instance, batches it had seen, first offset)
/// at each batch.
struct Counting {
    id: u32,
    batches: u32,
    log: Arc<Mutex<Vec<(u32, u32, u64)>>>,
}

impl ConsumerApp for Counting {
    fn on_batch(&mut self, batch: &[Delivery], plan: &mut Plan) {
        self.log.lock().push((self.id, self.batches, batch[0].offset));
        self.batches += 1;
        plan.process_all().commit_sync();
        let mut calls: Vec<String> = (0..batch.len()).map(|i| format!("process {i}")).collect();
        calls.push("commitSync".into());
        assert_eq!(plan.calls(), calls);
    }
}

#[test]
fn a_crash_resets_the_apps_state_and_its_restart_calls_the_factory_again() {
    let s = example("process-then-commit-crash");
    let made = Arc::new(AtomicU32::new(0));
    let log = Arc::new(Mutex::new(Vec::new()));
    let (m, l) = (made.clone(), log.clone());
    let apps = Apps::new().consumer("c1", move || Counting {
        id: m.fetch_add(1, Ordering::SeqCst),
        batches: 0,
        log: l.clone(),
    });
    let (_, out) = run_apps(&s, 1, &apps);
    assert_eq!(crashes_of_c1(&out.history), 1);
    assert_eq!(made.load(Ordering::SeqCst), 2, "one start, one restart");
    let log = log.lock();
    // The first instance saw batches 0, 1, 2 (from offsets 0, 100, 200), then crashed.
    let first: Vec<_> = log.iter().filter(|e| e.0 == 0).copied().collect();
    assert_eq!(first, vec![(0, 0, 0), (0, 1, 100), (0, 2, 200)]);
    // The second starts from nothing, at the committed offset.
    let second = log.iter().find(|e| e.0 == 1).copied();
    assert_eq!(second, Some((1, 0, 200)));

    // The async factory too.
    let made = Arc::new(AtomicU32::new(0));
    let m = made.clone();
    let apps = Apps::new().async_consumer("c1", move |c| {
        m.fetch_add(1, Ordering::SeqCst);
        process_then_commit(c)
    });
    run_apps(&s, 1, &apps);
    assert_eq!(made.load(Ordering::SeqCst), 2);
}

#[test]
fn a_sleep_in_an_async_app_advances_virtual_time_not_wall_time() {
    let mut s = example("process-then-commit-crash");
    s.faults.clear();
    let seen: Arc<Mutex<Vec<u64>>> = Arc::default();
    let t = seen.clone();
    let apps = Apps::new().async_consumer("c1", move |mut c: SimConsumer| {
        let t = t.clone();
        async move {
            let batch = c.poll().await;
            c.process_all(&batch).await;
            let _ = c.commit_sync().await;
            let before = c.now();
            c.sleep(50_000).await;
            t.lock().extend([before, c.now()]);
            process_then_commit(c).await;
        }
    });
    let wall = std::time::Instant::now();
    let (r, out) = run_apps(&s, 7, &apps);
    // A wall-clock sleep of 50 s would take 50 s.
    assert!(wall.elapsed() < std::time::Duration::from_secs(50));
    let seen = seen.lock().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1] - seen[0], 50_000);
    // Nothing was processed while it slept, and the run went on past the sleep.
    let processed_at: Vec<u64> =
        out.history.events.iter().filter(|e| matches!(e.kind, EventKind::Processed { .. })).map(|e| e.at).collect();
    assert!(processed_at.iter().all(|&at| at <= seen[0] || at >= seen[1]));
    assert!(processed_at.iter().any(|&at| at >= seen[1]));
    assert!(out.virtual_ms >= seen[1]);
    assert_eq!(r.anomalies[Anomaly::LostProcessing], 0);
}

#[test]
fn an_app_that_returns_leaves_its_group_and_the_run_still_ends() {
    let s = example("process-then-commit-crash");
    let apps = Apps::new().async_consumer("c1", |mut c: SimConsumer| async move {
        let batch = c.poll().await;
        c.process_all(&batch).await;
        let _ = c.commit_sync().await;
    });
    let (r, out) = run_apps(&s, 1, &apps);
    assert!(out.virtual_ms < s.duration_ms, "the run settled");
    let processed: usize = processed_counts(&out.history, 1000).iter().map(|&n| n as usize).sum();
    // One batch was processed (the crash trigger, 250 processed, never fires)...
    assert!(processed > 0 && processed < 250, "{processed}");
    // ...and the rest of the log is lost to the group.
    assert_eq!(r.anomalies[Anomaly::LostProcessing], 1000 - processed as u64);
}

#[test]
#[should_panic(expected = "waits on something the simulator does not drive")]
fn an_async_app_awaiting_something_the_simulator_does_not_drive_is_an_error_not_a_hang() {
    let s = example("process-then-commit-crash");
    let apps = Apps::new().async_consumer("c1", |mut c: SimConsumer| async move {
        let _ = c.poll().await;
        std::future::pending::<()>().await;
    });
    run_apps(&s, 1, &apps);
}

#[test]
#[should_panic(expected = "the application's own bug")]
fn a_panic_in_an_async_app_fails_the_run_with_its_message() {
    let s = example("process-then-commit-crash");
    let apps = Apps::new().async_consumer("c1", |mut c: SimConsumer| async move {
        let _ = c.poll().await;
        panic!("the application's own bug");
    });
    run_apps(&s, 1, &apps);
}

#[test]
#[should_panic(expected = "no [[consumer]] of that name")]
fn an_app_for_a_consumer_the_scenario_lacks_is_refused() {
    run_apps(&example("process-then-commit-crash"), 1, &Apps::new().consumer("nope", || ProcessThenCommit));
}

// ---- async producers ------------------------------------------------------------------------

/// A safe producer of 200 records (acks=all, idempotent, min ISR 2) and a read_committed
/// consumer, plus `extra` TOML (producer configs, faults).
fn producer_scenario(producer_config: &str, extra: &str) -> Scenario {
    inline(&format!(
        r#"
name = "an async producer"
duration_ms = 120000
[cluster]
brokers = 3
[cluster.config]
"min.insync.replicas" = 2
[[topic]]
name = "orders"
partitions = 2
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 200
[producer.config]
{producer_config}
[[consumer]]
name = "c1"
group = "g1"
topics = ["orders"]
processing_ms = 0
[consumer.config]
"isolation.level" = "read_committed"
"auto.offset.reset" = "earliest"
{extra}
"#
    ))
}

fn acked_records(h: &History) -> Vec<u32> {
    let mut r: Vec<u32> = h
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Acked { records, .. } => Some(records.to_vec()),
            _ => None,
        })
        .flatten()
        .collect();
    r.sort_unstable();
    r
}

#[test]
fn an_async_producer_sends_one_record_at_a_time_and_loses_nothing_acknowledged_across_a_leader_crash() {
    let s = producer_scenario(
        "",
        "[[fault]]\nafter = \"p1#60 acked\"\naction = \"crash\"\ntarget = \"leader:orders/0\"\nrestart_after_ms = 2000",
    );
    let outcomes: Arc<Mutex<Vec<(u32, bool)>>> = Arc::default();
    let o = outcomes.clone();
    let apps = Apps::new().async_producer("p1", move |mut p: kafkasim::app::SimProducer| {
        let o = o.clone();
        async move {
            for i in 0..200 {
                // Retry a failed send until it is acknowledged (at-least-once).
                while p.send(i).await.is_err() {
                    o.lock().push((i, false));
                }
                o.lock().push((i, true));
            }
        }
    });
    let (r1, out1) = run_apps(&s, 1, &apps);
    let (r2, _) = run_apps(&s, 1, &apps);
    assert_eq!(r1, r2, "deterministic");
    assert_eq!(out1.history.events.iter().filter(|e| matches!(e.kind, EventKind::Fault { .. })).count(), 1);
    assert_eq!(r1.anomalies[Anomaly::LostAcked], 0);
    assert_eq!(r1.anomalies[Anomaly::LostProcessing], 0);
    // One acknowledgement per record, in order: a send returns only once its record is acked.
    let acks: Vec<u32> = outcomes.lock().iter().filter(|x| x.1).map(|x| x.0).collect();
    assert_eq!(acks, [(0..200).collect::<Vec<u32>>(), (0..200).collect()].concat());
    assert!(acked_records(&out1.history).starts_with(&[0, 1, 2]));
    assert!(r1.events > 0 && out1.virtual_ms < s.duration_ms, "the run settled once the app returned");
}

#[test]
fn an_async_transactional_producer_aborts_what_it_chooses_and_read_committed_never_sees_it() {
    let s = producer_scenario("\"transactional.id\" = \"orders-tx\"", "");
    let apps = Apps::new().async_producer("p1", |mut p: kafkasim::app::SimProducer| async move {
        // Twenty transactions of ten records; every third one aborted.
        for t in 0..20u32 {
            p.begin_transaction().await.expect("begin");
            for i in t * 10..t * 10 + 10 {
                p.send(i).await.expect("no faults: every send is acknowledged");
            }
            let ended = if t % 3 == 2 { p.abort_transaction().await } else { p.commit_transaction().await };
            ended.expect("no faults: every transaction ends as asked");
        }
    });
    let (r, out) = run_apps(&s, 1, &apps);
    let ends: Vec<bool> = out
        .history
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TxnEnded { commit, result: Ok(()), .. } => Some(*commit),
            _ => None,
        })
        .collect();
    assert_eq!(ends, (0..20).map(|t| t % 3 != 2).collect::<Vec<_>>());
    assert_eq!(r.anomalies[Anomaly::AbortedRead], 0);
    assert_eq!(r.anomalies[Anomaly::TornTransaction], 0);
    assert_eq!(r.anomalies[Anomaly::LostAcked], 0);
    // The consumer processed exactly the committed transactions' 140 records.
    let n = processed_counts(&out.history, 200);
    let processed: Vec<u32> = (0..200).filter(|&i| n[i as usize] > 0).collect();
    let committed: Vec<u32> = (0..200).filter(|i| (i / 10) % 3 != 2).collect();
    assert_eq!(processed, committed);
}

#[test]
fn a_crashed_async_transactional_producer_restarts_from_its_durable_position_without_torn_transactions() {
    let s = producer_scenario(
        "\"transactional.id\" = \"orders-tx\"",
        "[[fault]]\nafter = \"p1#45 acked\"\naction = \"crash\"\ntarget = \"producer:p1\"\nrestart_after_ms = 500",
    );
    // The application's source of work survives the crash (a database): the first record of
    // the next transaction to commit.
    let next = Arc::new(AtomicU32::new(0));
    let made = Arc::new(AtomicU32::new(0));
    let (n, m) = (next.clone(), made.clone());
    let apps = Apps::new().async_producer("p1", move |mut p: kafkasim::app::SimProducer| {
        m.fetch_add(1, Ordering::SeqCst);
        let n = n.clone();
        async move {
            loop {
                let first = n.load(Ordering::SeqCst);
                if first >= 200 {
                    return;
                }
                if p.begin_transaction().await.is_err() {
                    return;
                }
                let mut ok = true;
                for i in first..first + 10 {
                    ok &= p.send(i).await.is_ok();
                }
                let ended = if ok { p.commit_transaction().await } else { p.abort_transaction().await };
                if ok && ended.is_ok() {
                    n.store(first + 10, Ordering::SeqCst);
                }
            }
        }
    });
    let (r, out) = run_apps(&s, 1, &apps);
    assert_eq!(made.load(Ordering::SeqCst), 2, "one start, one restart");
    assert_eq!(next.load(Ordering::SeqCst), 200);
    assert_eq!(r.anomalies[Anomaly::TornTransaction], 0);
    assert_eq!(r.anomalies[Anomaly::AbortedRead], 0);
    assert_eq!(r.anomalies[Anomaly::LostAcked], 0);
    // The transaction the crash cut (p1#40..49) was re-sent and committed by the new instance:
    // every record is processed exactly once by the read_committed consumer.
    let n = processed_counts(&out.history, 200);
    assert!(n.iter().all(|&k| k == 1), "{n:?}");
}
