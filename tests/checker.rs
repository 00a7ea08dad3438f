//! The checker judged on hand-built histories: each anomaly is counted exactly when its definition
//! says so and not otherwise, explanations tell the record's fate from the history, and the report
//! keeps the contract's shape.

use std::sync::Arc;

use kafkasim::check::{check, Verdict, FINDINGS_CAP};
use kafkasim::record::{
    Anomaly, ClientKind, ConsumerInfo, Deliveries, Delivery, Event, EventKind, FaultNode, FaultTarget, FinalPartition,
    FinalReplica, GroupRecord, Heal, History, LogBatch, MetaRecord, ProcessorInfo, RecordId, RecordList,
};
use kafkasim::report::json::to_json_line;
use kafkasim::report::text::to_text;
use kafkasim::report::{build_report, Report};
use kafkasim::scenario::{
    Acks, Bound, CommitMode, Expectation, FaultAction, IsolationLevel, ProcessingGuarantee, ProducerSpec, Scenario,
    TopicSpec,
};
use kafkasim::KafkaError;

/// Builds a scenario and a history side by side.
struct Run {
    scenario: Scenario,
    history: History,
}

fn recs(ids: &[u32]) -> RecordList {
    ids.into()
}

fn batch(base: u64, producer: u32, instance: u32, epoch: u32, ids: &[u32]) -> Arc<LogBatch> {
    Arc::new(LogBatch {
        base_offset: base,
        leader_epoch: epoch,
        producer_id: -1,
        producer_epoch: -1,
        base_sequence: -1,
        producer,
        instance,
        records: recs(ids),
        meta: None,
        transactional: false,
        timestamp: 0,
    })
}

/// A replica whose hw and leo are its log's end.
fn replica(broker: u32, alive: bool, log: Vec<Arc<LogBatch>>) -> FinalReplica {
    let leo = log.last().map_or(0, |b| b.next_offset());
    FinalReplica { broker, alive, leo, hw: leo, log }
}

impl Run {
    /// Producers `names`, each with `records` records, acks=all without idempotence (at-least-once),
    /// writing to topic `orders`.
    fn new(names: &[&str], records: u32) -> Run {
        let mut scenario = Scenario { name: "test".into(), ..Scenario::default() };
        scenario.topics.push(TopicSpec {
            name: "orders".into(),
            partitions: 1,
            replication_factor: 3,
            min_insync_replicas: None,
            unclean_leader_election_enable: None,
            flush_messages: None,
        });
        for n in names {
            let mut p = ProducerSpec::new(n, "orders", records);
            p.config.enable_idempotence = false;
            scenario.producers.push(p);
        }
        let history = History { producers: names.iter().map(|s| s.to_string()).collect(), ..History::default() };
        Run { scenario, history }
    }

    fn ev(&mut self, at: u64, kind: EventKind) -> &mut Self {
        self.history.events.push(Event { at, kind });
        self
    }

    fn started(&mut self, at: u64, producer: u32, instance: u32) -> &mut Self {
        self.ev(at, EventKind::ProducerStarted { producer, instance, producer_id: -1 })
    }

    fn sent(&mut self, at: u64, producer: u32, instance: u32, partition: u32, ids: &[u32]) -> &mut Self {
        self.ev(at, EventKind::Sent { producer, instance, partition, records: recs(ids) })
    }

    #[allow(clippy::too_many_arguments)]
    fn acked(
        &mut self,
        at: u64,
        producer: u32,
        instance: u32,
        partition: u32,
        ids: &[u32],
        offset: i64,
        broker: u32,
        leader_epoch: u32,
    ) -> &mut Self {
        self.ev(
            at,
            EventKind::Acked {
                producer,
                instance,
                partition,
                records: recs(ids),
                offset,
                broker,
                leader_epoch,
                attempts: 1,
            },
        )
    }

    /// p1/0's batch `ids` acknowledged at `offset` of orders/0 by broker 1 (epoch 0) on its
    /// `attempts`-th attempt.
    fn acked_after(&mut self, at: u64, ids: &[u32], offset: i64, attempts: u32) -> &mut Self {
        self.ev(
            at,
            EventKind::Acked {
                producer: 0,
                instance: 0,
                partition: 0,
                records: recs(ids),
                offset,
                broker: 1,
                leader_epoch: 0,
                attempts,
            },
        )
    }

    fn failed(
        &mut self,
        at: u64,
        producer: u32,
        instance: u32,
        ids: &[u32],
        error: KafkaError,
        maybe: bool,
    ) -> &mut Self {
        self.ev(
            at,
            EventKind::Failed { producer, instance, partition: 0, records: recs(ids), error, maybe_written: maybe },
        )
    }

    fn fault(&mut self, at: u64, action: FaultAction, broker: u32) -> &mut Self {
        let target = FaultTarget::Node(FaultNode::Broker(broker));
        self.ev(at, EventKind::Fault { action, target, broker: Some(broker) })
    }

    fn healed(&mut self, at: u64, broker: u32) -> &mut Self {
        self.ev(
            at,
            EventKind::Healed {
                end: Heal::Restart,
                target: kafkasim::record::FaultTarget::Node(FaultNode::Broker(broker)),
                broker: Some(broker),
            },
        )
    }

    fn leader_change(&mut self, at: u64, partition: u32, leader: Option<u32>, epoch: u32, unclean: bool) -> &mut Self {
        let isr = leader.into_iter().collect();
        self.ev(at, EventKind::LeaderChange { partition, leader, leader_epoch: epoch, isr, unclean })
    }

    /// Adds partition `orders/N` (N = its index) with these replicas.
    fn partition(&mut self, leader: Option<u32>, epoch: u32, isr: &[u32], replicas: Vec<FinalReplica>) -> &mut Self {
        let n = self.history.partitions.len() as u32;
        self.history.partitions.push(FinalPartition {
            topic: "orders".into(),
            partition: n,
            leader,
            leader_epoch: epoch,
            isr: isr.to_vec(),
            replicas,
        });
        self
    }

    /// Adds partition `TOPIC/NUMBER` (its index is the next one) with these replicas.
    fn topic_partition(
        &mut self,
        topic: &str,
        number: u32,
        leader: Option<u32>,
        isr: &[u32],
        replicas: Vec<FinalReplica>,
    ) -> &mut Self {
        self.history.partitions.push(FinalPartition {
            topic: topic.into(),
            partition: number,
            leader,
            leader_epoch: 0,
            isr: isr.to_vec(),
            replicas,
        });
        self
    }

    /// Adds a `[[consumer]]` table.
    fn consumer(&mut self, name: &str, group: &str, topics: &[&str], commit: CommitMode) -> &mut Self {
        self.history.consumers.push(ConsumerInfo {
            name: name.into(),
            group: group.into(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            commit,
            isolation: IsolationLevel::ReadUncommitted,
            processor: None,
            client: ClientKind::Java,
            auto_offset_store: true,
        });
        self
    }

    fn assigned(&mut self, at: u64, consumer: u32, instance: u32, generation: i32, partitions: &[u32]) -> &mut Self {
        self.ev(at, EventKind::Assigned { consumer, instance, generation, partitions: partitions.to_vec() })
    }

    /// `poll()` handed over these (partition, offset, index of p1) records.
    fn polled(&mut self, at: u64, consumer: u32, instance: u32, records: &[(u32, u64, u32)]) -> &mut Self {
        self.ev(at, EventKind::Polled { consumer, instance, records: deliveries(records) })
    }

    fn processed(&mut self, at: u64, consumer: u32, instance: u32, records: &[(u32, u64, u32)]) -> &mut Self {
        self.ev(at, EventKind::Processed { consumer, instance, records: deliveries(records) })
    }

    fn committed(
        &mut self,
        at: u64,
        consumer: u32,
        instance: u32,
        offsets: &[(u32, u64)],
        result: Result<(), KafkaError>,
    ) -> &mut Self {
        self.ev(at, EventKind::OffsetCommit { consumer, instance, offsets: offsets.into(), result })
    }

    /// A fault on member `consumer/instance` (of a consumer or a processor).
    fn consumer_fault(&mut self, at: u64, action: FaultAction, consumer: u32, instance: u32) -> &mut Self {
        let info = &self.history.consumers[consumer as usize];
        let (name, processor) = (info.name.clone(), info.processor.is_some());
        let target = FaultTarget::Node(FaultNode::Member { consumer, instance, name, processor });
        self.ev(at, EventKind::Fault { action, target, broker: None })
    }

    /// Adds `__consumer_offsets/N` whose only replica, broker 1, holds one batch per
    /// (group, offsets) commit, with its high watermark at `hw` (`None`: the log's end).
    fn offsets_log(&mut self, number: u32, commits: &[(&str, &[(u32, u64)])], hw: Option<u64>) -> &mut Self {
        let log: Vec<Arc<LogBatch>> =
            commits.iter().enumerate().map(|(i, (g, o))| meta_batch(i as u64, offset_commit(g, o))).collect();
        let mut rep = replica(1, true, log);
        if let Some(hw) = hw {
            rep.hw = hw;
        }
        self.topic_partition("__consumer_offsets", number, Some(1), &[1], vec![rep])
    }

    /// Adds an online partition whose only replica, broker 1, holds `log`.
    fn single(&mut self, log: Vec<Arc<LogBatch>>) -> &mut Self {
        self.partition(Some(1), 0, &[1], vec![replica(1, true, log)])
    }

    fn check(&self) -> Verdict {
        check(&self.scenario, &self.history)
    }

    fn report(&self) -> Report {
        build_report(&self.scenario, 7, 0xabc, 5123, 42, &self.history, self.check())
    }
}

/// Records of p1 as (partition, offset, index) triples.
fn deliveries(records: &[(u32, u64, u32)]) -> Deliveries {
    records
        .iter()
        .map(|&(partition, offset, index)| Delivery { partition, offset, record: RecordId { producer: 0, index } })
        .collect::<Vec<_>>()
        .into()
}

/// `(0, first..first+n, first..first+n)`: records at their own offsets of orders/0.
fn at_own_offsets(ids: std::ops::Range<u32>) -> Vec<(u32, u64, u32)> {
    ids.map(|i| (0, i as u64, i)).collect()
}

fn offset_commit(group: &str, offsets: &[(u32, u64)]) -> MetaRecord {
    MetaRecord::OffsetCommit { group: group.into(), offsets: offsets.into() }
}

fn meta_batch(base: u64, meta: MetaRecord) -> Arc<LogBatch> {
    Arc::new(LogBatch {
        base_offset: base,
        leader_epoch: 0,
        producer_id: -1,
        producer_epoch: -1,
        base_sequence: -1,
        producer: 0,
        instance: 0,
        records: recs(&[]),
        meta: Some(Arc::new(meta)),
        transactional: false,
        timestamp: 0,
    })
}

fn findings<'a>(v: &'a Verdict, anomaly: &str) -> Vec<&'a str> {
    v.findings.iter().filter(|f| f.anomaly.name() == anomaly).map(|f| f.explanation.as_str()).collect()
}

// ---- a clean run ----

#[test]
fn a_clean_run_has_no_anomalies_and_exact_producer_counts() {
    let mut r = Run::new(&["p1"], 4);
    r.started(0, 0, 0)
        .sent(1, 0, 0, 0, &[0, 1])
        .sent(2, 0, 0, 0, &[2, 3])
        .acked(5, 0, 0, 0, &[0, 1], 0, 1, 0)
        .acked(6, 0, 0, 0, &[2, 3], 2, 1, 0)
        .single(vec![batch(0, 0, 0, 0, &[0, 1]), batch(2, 0, 0, 0, &[2, 3])]);
    let v = r.check();
    assert_eq!(v.anomalies, Default::default());
    assert!(v.findings.is_empty());
    let p1 = v.producers["p1"];
    assert_eq!((p1.sent, p1.acked, p1.failed, p1.indeterminate), (4, 4, 0, 0));
    assert_eq!(v.semantics["p1"].delivery, "at-least-once");
    assert!(v.semantics["p1"].holds);
}

// ---- lost_acked and unavailable ----

#[test]
fn acked_record_missing_from_final_log_counts_as_lost_acked() {
    let mut r = Run::new(&["p1"], 3);
    r.sent(1, 0, 0, 0, &[0, 1, 2])
        .acked(5, 0, 0, 0, &[0, 1], 0, 1, 0)
        .failed(9, 0, 0, &[2], KafkaError::RequestTimedOut, true)
        .single(vec![batch(0, 0, 0, 0, &[0])]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostAcked], 1, "p1#1 was acked and is gone; p1#2 was never acked");
    assert_eq!(v.anomalies[Anomaly::Unavailable], 0);
    let lost = findings(&v, "lost_acked");
    assert_eq!(lost.len(), 1);
    assert!(lost[0].starts_with("p1#1 acked at orders/0 offset 1 by broker 1 (epoch 0) at 5 ms"), "{}", lost[0]);
    assert!(lost[0].contains("the final log ends before offset 1 (log end offset 1)"), "{}", lost[0]);
    assert_eq!(v.findings[0].subject, "p1#1");
}

#[test]
fn acked_record_present_at_another_offset_is_not_lost() {
    let mut r = Run::new(&["p1"], 1);
    r.sent(1, 0, 0, 0, &[0]).acked(5, 0, 0, 0, &[0], 3, 1, 0).single(vec![batch(0, 0, 0, 0, &[0])]);
    assert_eq!(r.check().anomalies[Anomaly::LostAcked], 0);
}

#[test]
fn unacked_missing_records_are_not_lost() {
    let mut r = Run::new(&["p1"], 2);
    r.sent(1, 0, 0, 0, &[0, 1])
        .failed(9, 0, 0, &[0], KafkaError::NotEnoughReplicas, false)
        .failed(9, 0, 0, &[1], KafkaError::UnresolvedAtEnd, true)
        .single(vec![]);
    let v = r.check();
    assert_eq!(v.anomalies, Default::default());
    let p1 = v.producers["p1"];
    assert_eq!((p1.sent, p1.acked, p1.failed, p1.indeterminate), (2, 0, 1, 1));
}

#[test]
fn acks0_completed_send_missing_from_log_counts_as_lost_acked() {
    let mut r = Run::new(&["p1"], 2);
    r.scenario.producers[0].config.acks = Acks::Zero;
    r.sent(1, 0, 0, 0, &[0, 1]).acked(2, 0, 0, 0, &[0, 1], -1, 1, 0).single(vec![batch(0, 0, 0, 0, &[1])]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostAcked], 1);
    let lost = findings(&v, "lost_acked");
    assert!(lost[0].starts_with("p1#0 sent with acks=0 (no response) to orders/0"), "{}", lost[0]);
    assert!(lost[0].contains("does not hold it"), "{}", lost[0]);
    // acks=0 promises at-most-once: a loss does not break it.
    assert_eq!(v.semantics["p1"].delivery, "at-most-once");
    assert!(v.semantics["p1"].holds);
}

#[test]
fn record_on_offline_partition_counts_as_unavailable_not_lost() {
    let mut r = Run::new(&["p1"], 2);
    r.sent(1, 0, 0, 0, &[0]).sent(1, 0, 0, 1, &[1]).acked(5, 0, 0, 0, &[0], 0, 1, 0).acked(5, 0, 0, 1, &[1], 0, 2, 0);
    r.partition(None, 1, &[], vec![replica(1, false, vec![batch(0, 0, 0, 0, &[0])])]);
    r.partition(Some(2), 0, &[2], vec![replica(2, true, vec![])]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::Unavailable], 1, "p1#0 sits on offline orders/0");
    assert_eq!(v.anomalies[Anomaly::LostAcked], 1, "p1#1 is missing from online orders/1");
    let un = findings(&v, "unavailable");
    assert!(un[0].contains("orders/0 has no leader at the end"), "{}", un[0]);
    assert!(un[0].contains("broker 1's replica still holds it at offset 0 (down"), "{}", un[0]);
    // Unavailable records do not break at-least-once; the lost one does.
    assert!(!v.semantics["p1"].holds);
    assert_eq!(v.semantics["p1"].broken_by, vec!["1 acknowledged record lost".to_string()]);
}

#[test]
fn unavailable_alone_keeps_the_semantic() {
    let mut r = Run::new(&["p1"], 1);
    r.sent(1, 0, 0, 0, &[0]).acked(5, 0, 0, 0, &[0], 0, 1, 0);
    r.partition(None, 1, &[], vec![replica(1, false, vec![])]);
    let v = r.check();
    assert_eq!((v.anomalies[Anomaly::Unavailable], v.anomalies[Anomaly::LostAcked]), (1, 0));
    assert!(v.semantics["p1"].holds);
}

#[test]
fn explanation_names_the_crash_and_the_new_leader() {
    let mut r = Run::new(&["p1"], 19);
    let all: Vec<u32> = (0..19).collect();
    r.sent(1, 0, 0, 0, &all)
        .acked(400, 0, 0, 0, &all[..17], 0, 1, 2)
        .acked(405, 0, 0, 0, &all[17..18], 17, 1, 2)
        .fault(412, FaultAction::Crash, 1)
        .fault(500, FaultAction::Crash, 3) // another broker: not part of the story
        .leader_change(9412, 0, Some(2), 3, false)
        .leader_change(9500, 0, Some(2), 3, false) // ISR-only update: not a leader change
        .healed(11000, 1)
        .leader_change(12000, 0, Some(3), 4, true);
    let log = vec![batch(0, 0, 0, 2, &all[..17]), batch(17, 0, 0, 3, &[18])];
    let old = vec![batch(0, 0, 0, 2, &all[..18])];
    r.partition(Some(3), 4, &[3], vec![replica(1, true, old), replica(2, true, log.clone()), replica(3, true, log)]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostAcked], 1);
    let e = findings(&v, "lost_acked")[0];
    assert_eq!(
        e,
        "p1#17 acked at orders/0 offset 17 by broker 1 (epoch 2) at 405 ms; broker 1 crashed at 412 ms; \
         broker 2 became leader at epoch 3 (9412 ms); broker 1 came back at 11000 ms; \
         an unclean election made broker 3 leader at epoch 4 (12000 ms); \
         offset 17 now holds p1#18 (instance 0, epoch 3); \
         broker 1's replica still holds it at offset 17 (alive, not in the ISR)"
    );
}

#[test]
fn findings_are_capped_but_counts_stay_exact() {
    let n = (FINDINGS_CAP + 50) as u32;
    let mut r = Run::new(&["p1"], n);
    let all: Vec<u32> = (0..n).collect();
    r.sent(1, 0, 0, 0, &all).acked(5, 0, 0, 0, &all, 0, 1, 0).single(vec![]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostAcked], n as u64);
    assert_eq!(findings(&v, "lost_acked").len(), FINDINGS_CAP);
    let text = to_text(&r.report());
    // The text report shows the first ten explanations of each anomaly.
    assert!(text.contains(&format!("  ... and {} more not shown\n", n - 10)), "{text}");
}

// ---- duplicated ----

#[test]
fn record_at_two_offsets_counts_once_as_duplicated() {
    let mut r = Run::new(&["p1"], 3);
    r.sent(1, 0, 0, 0, &[0, 1, 2]).acked(50, 0, 0, 0, &[0, 1, 2], 3, 1, 0).single(vec![
        batch(0, 0, 0, 0, &[0, 1, 2]),
        batch(3, 0, 0, 0, &[0, 1, 2]),
        batch(6, 0, 0, 0, &[1]),
    ]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::Duplicated], 3, "three records stand twice or more, each counted once");
    let d = findings(&v, "duplicated");
    assert_eq!(d.len(), 3);
    assert!(d[1].starts_with("p1#1 stands at orders/0 offsets 1 (instance 0, epoch 0), 4 (instance 0, epoch 0) and 6 (instance 0, epoch 0)"), "{}", d[1]);
    assert!(d[0].contains("instance 0 sent it at 1 ms, then saw it acked at orders/0 offset 3"), "{}", d[0]);
    assert!(d[0].contains("retried a batch whose earlier attempt had already been written"), "{}", d[0]);
    assert!(d[0].contains("it saw one acknowledgement, for offset 3"), "{}", d[0]);
    // at-least-once allows duplicates.
    assert!(v.semantics["p1"].holds);
    assert_eq!(v.anomalies[Anomaly::Reordered], 0, "later copies are skipped by the order check");
}

#[test]
fn a_duplicate_beyond_offset_four_billion_is_placed_at_its_own_offsets() {
    // The index keeps a first copy's offset in two 32-bit halves: both must come back.
    let base = 1u64 << 32;
    let mut r = Run::new(&["p1"], 2);
    r.sent(1, 0, 0, 0, &[0, 1])
        .acked(50, 0, 0, 0, &[0, 1], base as i64, 1, 0)
        .single(vec![batch(base, 0, 0, 0, &[0, 1]), batch(base + 2, 0, 0, 0, &[1])]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::Duplicated], 1);
    let d = findings(&v, "duplicated")[0];
    assert!(d.starts_with("p1#1 stands at orders/0 offsets 4294967297 (instance 0, epoch 0) and 4294967298"), "{d}");
    assert_eq!(v.anomalies[Anomaly::LostAcked], 0, "both records stand where they were acknowledged");
}

#[test]
fn a_duplicate_whose_first_copy_stands_out_of_order_in_its_batch_is_placed_at_its_own_offset() {
    // The index finds a first copy's offset from its batch: by its distance from the batch's
    // first record when the batch runs in order, else by a search, which this batch needs.
    let mut r = Run::new(&["p1"], 6);
    r.sent(1, 0, 0, 0, &[5, 3])
        .acked(50, 0, 0, 0, &[5, 3], 0, 1, 0)
        .single(vec![batch(0, 0, 0, 0, &[5, 3]), batch(2, 0, 0, 0, &[3])]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::Duplicated], 1);
    let d = findings(&v, "duplicated")[0];
    assert!(d.starts_with("p1#3 stands at orders/0 offsets 1 (instance 0, epoch 0) and 2"), "{d}");
}

#[test]
fn duplicate_written_by_two_instances_is_explained_by_the_restart() {
    let mut r = Run::new(&["p1"], 1);
    r.scenario.producers[0].config.enable_idempotence = true;
    r.started(0, 0, 0)
        .sent(1, 0, 0, 0, &[0])
        .failed(30, 0, 0, &[0], KafkaError::ProducerCrashed, true)
        .started(31, 0, 1)
        .sent(32, 0, 1, 0, &[0])
        .acked(40, 0, 1, 0, &[0], 1, 1, 0)
        .single(vec![batch(0, 0, 0, 0, &[0]), batch(1, 0, 1, 0, &[0])]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::Duplicated], 1);
    let d = findings(&v, "duplicated")[0];
    assert!(d.contains("instance 0 sent it at 1 ms, then got PRODUCER_CRASHED at 30 ms (maybe written)"), "{d}");
    assert!(d.contains("instance 1 sent it at 32 ms, then saw it acked at orders/0 offset 1"), "{d}");
    assert!(d.contains("instances 0 and 1 each wrote a copy"), "{d}");
    assert_eq!(v.semantics["p1"].delivery, "exactly-once");
    assert!(!v.semantics["p1"].holds);
    assert_eq!(v.semantics["p1"].broken_by, vec!["1 record duplicated".to_string()]);
    assert_eq!(v.producers["p1"].acked, 1);
    assert_eq!(v.producers["p1"].indeterminate, 0, "acked by the second instance");
}

#[test]
fn duplicates_break_at_most_once_but_not_at_least_once() {
    let mut r = Run::new(&["p1", "p2"], 1);
    r.scenario.producers[0].config.retries = 0;
    r.sent(1, 0, 0, 0, &[0]).sent(1, 1, 0, 0, &[0]).single(vec![
        batch(0, 0, 0, 0, &[0]),
        batch(1, 0, 0, 0, &[0]),
        batch(2, 1, 0, 0, &[0]),
        batch(3, 1, 0, 0, &[0]),
    ]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::Duplicated], 2);
    assert_eq!(v.semantics["p1"].delivery, "at-most-once");
    assert!(!v.semantics["p1"].holds);
    assert_eq!(v.semantics["p2"].delivery, "at-least-once");
    assert!(v.semantics["p2"].holds);
}

// ---- reordered ----

#[test]
fn later_send_at_earlier_offset_counts_as_reordered() {
    let mut r = Run::new(&["p1"], 4);
    r.sent(1, 0, 0, 0, &[0, 1])
        .sent(2, 0, 0, 0, &[2, 3])
        .acked(10, 0, 0, 0, &[2, 3], 0, 1, 0)
        .acked(20, 0, 0, 0, &[0, 1], 2, 1, 0)
        .single(vec![batch(0, 0, 0, 0, &[2, 3]), batch(2, 0, 0, 0, &[0, 1])]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::Reordered], 2, "p1#0 and p1#1 stand after p1#2 and p1#3");
    let o = findings(&v, "reordered");
    assert!(
        o[0].starts_with("p1#0 stands at orders/0 offset 2, after p1#3 at offset 1, though instance 0 sent p1#0 first"),
        "{}",
        o[0]
    );
    assert!(o[0].contains("max.in.flight.requests.per.connection=5 without idempotence"), "{}", o[0]);
    assert_eq!(findings(&v, "reordered").len(), 2);
    assert_eq!(v.anomalies[Anomaly::LostAcked], 0, "reordered, not lost: each stands where it was acknowledged");
}

#[test]
fn records_in_send_order_are_not_reordered_even_with_gaps() {
    let mut r = Run::new(&["p1"], 5);
    r.sent(1, 0, 0, 0, &[0, 1, 2, 3, 4]).single(vec![batch(0, 0, 0, 0, &[0, 2]), batch(2, 0, 0, 0, &[4])]);
    assert_eq!(r.check().anomalies[Anomaly::Reordered], 0);
}

#[test]
fn reordering_across_different_instances_is_not_reordering() {
    let mut r = Run::new(&["p1"], 4);
    // Instance 0 sends 0,1; instance 1 sends 2,3; the log holds instance 1's records first.
    r.sent(1, 0, 0, 0, &[0, 1])
        .sent(2, 0, 1, 0, &[2, 3])
        .single(vec![batch(0, 0, 1, 0, &[2, 3]), batch(2, 0, 0, 0, &[0, 1])]);
    assert_eq!(r.check().anomalies[Anomaly::Reordered], 0);
}

#[test]
fn reordering_across_partitions_is_not_reordering() {
    let mut r = Run::new(&["p1"], 2);
    r.sent(1, 0, 0, 1, &[0]).sent(2, 0, 0, 0, &[1]);
    r.single(vec![batch(0, 0, 0, 0, &[1])]).single(vec![batch(0, 0, 0, 0, &[0])]);
    assert_eq!(r.check().anomalies[Anomaly::Reordered], 0);
}

#[test]
fn resent_record_is_judged_in_the_resending_instances_own_order() {
    let mut r = Run::new(&["p1"], 3);
    // Instance 0 sent 0,1,2; instance 1 resent 2 then 1. The log: 0,1 (inst 0), 2,1 (inst 1).
    r.sent(1, 0, 0, 0, &[0, 1, 2])
        .sent(5, 0, 1, 0, &[2, 1])
        .single(vec![batch(0, 0, 0, 0, &[0, 1]), batch(2, 0, 1, 0, &[2, 1])]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::Reordered], 0, "instance 1 sent 2 before 1, and that is their log order");
    assert_eq!(v.anomalies[Anomaly::Duplicated], 1);
}

#[test]
fn first_occurrence_decides_for_reordering() {
    let mut r = Run::new(&["p1"], 3);
    // Log: 0, 1, 2, 0 (a late duplicate of 0 by the same instance): only the duplicate is out of
    // place, and it is skipped.
    r.sent(1, 0, 0, 0, &[0, 1, 2]).single(vec![batch(0, 0, 0, 0, &[0, 1, 2]), batch(3, 0, 0, 0, &[0])]);
    let v = r.check();
    assert_eq!((v.anomalies[Anomaly::Reordered], v.anomalies[Anomaly::Duplicated]), (0, 1));
}

/// A history built by hand may name a producer it does not list (here producer 3, with one
/// listed): the checker judges it instead of panicking, growing its per-record state for that
/// producer. Its acknowledged record is lost; a consumer that read it (and a record of producer
/// 5, which never sent) where `p1#0` stands read two phantoms; its later read of `p1#0` counts.
/// Producers named only by a failure or a commit are judged too.
#[test]
fn a_history_naming_a_producer_it_does_not_list_is_judged() {
    let mut r = Run::new(&["p1"], 1);
    r.sent(1, 0, 0, 0, &[0]).acked(2, 0, 0, 0, &[0], 0, 1, 0);
    r.sent(3, 3, 0, 0, &[2]).acked(4, 3, 0, 0, &[2], 1, 1, 0);
    r.single(vec![batch(0, 0, 0, 0, &[0])]);
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing);
    // Producer 3 sent and was acknowledged; producer 5 appears only in the reads.
    let stranger = Delivery { partition: 0, offset: 0, record: RecordId { producer: 3, index: 2 } };
    let unsent = Delivery { partition: 0, offset: 0, record: RecordId { producer: 5, index: 1 } };
    r.ev(10, EventKind::Polled { consumer: 0, instance: 0, records: vec![stranger, unsent].into() });
    r.ev(11, EventKind::Processed { consumer: 0, instance: 0, records: vec![stranger, unsent].into() });
    r.polled(12, 0, 0, &[(0, 0, 0)]).processed(13, 0, 0, &[(0, 0, 0)]);
    // Producer 4 only failed a send; producer 6 only committed a transaction (which makes it
    // transactional, its record acknowledged and, standing nowhere, lost).
    r.failed(14, 4, 0, &[0], KafkaError::RequestTimedOut, false);
    r.txn_ended(15, 6, 0, 0, true, &[0], Ok(()));
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostAcked], 2, "{:?}", v.anomalies);
    assert_eq!(v.anomalies[Anomaly::PhantomRead], 2, "{:?}", v.anomalies);
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 0, "{:?}", v.anomalies);
}

#[test]
fn records_the_index_never_saw_processed_twice_are_duplicate_processing() {
    // The consumer counts grow past the producer index's shape for records only the reads name.
    let mut r = Run::new(&["p1"], 1);
    r.sent(1, 3, 0, 0, &[2]).acked(2, 3, 0, 0, &[2], 0, 1, 0).single(vec![batch(0, 3, 0, 0, &[2])]);
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing);
    let unsent = Delivery { partition: 0, offset: 5, record: RecordId { producer: 5, index: 1 } };
    let beyond = Delivery { partition: 0, offset: 6, record: RecordId { producer: 3, index: 7 } };
    for at in [10, 20] {
        r.ev(at, EventKind::Polled { consumer: 0, instance: 0, records: vec![unsent, beyond].into() });
        r.ev(at + 1, EventKind::Processed { consumer: 0, instance: 0, records: vec![unsent, beyond].into() });
    }
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], 2, "{:?}", v.anomalies);
}

// ---- divergence ----

#[test]
fn in_sync_replicas_disagreeing_below_hw_count_as_divergence() {
    let mut r = Run::new(&["p1"], 10);
    let shared = batch(0, 0, 0, 1, &[0, 1, 2, 3, 4]);
    let leader = vec![shared.clone(), batch(5, 0, 0, 2, &[5, 6])];
    let follower = vec![shared.clone(), batch(5, 0, 0, 1, &[8, 9])];
    let third = vec![shared, batch(5, 0, 0, 2, &[5, 7])];
    let mut l = replica(1, true, leader);
    l.hw = 7;
    r.partition(Some(1), 2, &[1, 2, 3], vec![l, replica(2, true, follower), replica(3, true, third)]);
    r.leader_change(100, 0, Some(1), 2, true);
    // An unclean election of another partition is not part of orders/0's story.
    r.partition(Some(3), 4, &[3], vec![replica(3, true, Vec::new())]);
    r.leader_change(50, 1, Some(3), 4, true);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::Divergence], 2, "offsets 5 and 6, each counted once across the pairs");
    let d = &v.findings.iter().filter(|f| f.anomaly == Anomaly::Divergence).collect::<Vec<_>>();
    assert_eq!(d[0].subject, "orders/0@5");
    assert_eq!(
        d[0].explanation,
        "in-sync replicas of orders/0 disagree at offset 5 (below high watermark 7): \
         broker 1 (leader) holds p1#5 (instance 0, epoch 2), broker 2 holds p1#8 (instance 0, epoch 1), \
         broker 3 holds p1#5 (instance 0, epoch 2); \
         an unclean election made broker 1 leader at epoch 2 (100 ms)"
    );
    assert_eq!(d[1].subject, "orders/0@6");
}

/// Two replicas whose batches do not line up: one holds `[7, 8]` at offset 0, the other `[9]` at
/// 0 and `[7, 8]` at 1. Equal record lists at different offsets are not one batch: offsets 0 and 1
/// both differ. `orders/1` is the same pair in the other order, so each side is once the first.
#[test]
fn equal_batches_at_different_offsets_still_diverge() {
    let mut r = Run::new(&["p1"], 10);
    let one = || replica(1, true, vec![batch(0, 0, 0, 1, &[7, 8])]);
    let two = || replica(2, true, vec![batch(0, 0, 0, 1, &[9]), batch(1, 0, 0, 1, &[7, 8])]);
    let limit = |mut x: FinalReplica| {
        x.hw = 2;
        x
    };
    r.partition(Some(1), 1, &[1, 2], vec![limit(one()), two()]);
    r.partition(Some(2), 1, &[1, 2], vec![limit(two()), one()]);
    assert_eq!(r.check().anomalies[Anomaly::Divergence], 4, "offsets 0 and 1 of both partitions");
}

/// Batches of two producers naming the same record indices are different records: `p1#0, p1#1`
/// against `p2#0, p2#1` differ at both offsets.
#[test]
fn batches_of_different_producers_with_the_same_indices_diverge() {
    let mut r = Run::new(&["p1", "p2"], 10);
    let a = replica(1, true, vec![batch(0, 0, 0, 1, &[0, 1])]);
    let b = replica(2, true, vec![batch(0, 1, 0, 1, &[0, 1])]);
    r.partition(Some(1), 1, &[1, 2], vec![a, b]);
    assert_eq!(r.check().anomalies[Anomaly::Divergence], 2);
}

/// A gap in one replica's offsets (a batch with no records, as a transaction marker's offset
/// looks to the record walk) against a record at that offset in the other: only that offset
/// differs, whichever replica is compared first, and the records after the gap line up again.
#[test]
fn a_gap_against_a_record_diverges_at_that_offset_only() {
    let mut r = Run::new(&["p1"], 10);
    let gap = || replica(1, true, vec![batch(0, 0, 0, 1, &[0, 1]), batch(2, 0, 0, 1, &[]), batch(3, 0, 0, 1, &[3])]);
    let full = || replica(2, true, vec![batch(0, 0, 0, 1, &[0, 1]), batch(2, 0, 0, 1, &[2, 3])]);
    r.partition(Some(1), 1, &[1, 2], vec![gap(), full()]);
    r.partition(Some(2), 1, &[1, 2], vec![full(), gap()]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::Divergence], 2, "offset 2 of each partition");
    let subjects: Vec<&str> =
        v.findings.iter().filter(|f| f.anomaly == Anomaly::Divergence).map(|f| f.subject.as_str()).collect();
    assert_eq!(subjects, ["orders/0@2", "orders/1@2"]);
}

#[test]
fn disagreement_above_hw_outside_isr_or_on_dead_replicas_is_not_divergence() {
    let mut r = Run::new(&["p1"], 10);
    let shared = batch(0, 0, 0, 1, &[0, 1]);
    let mut l = replica(1, true, vec![shared.clone(), batch(2, 0, 0, 2, &[2, 3])]);
    l.hw = 2; // the differing tail is above the high watermark
    let f = replica(2, true, vec![shared.clone(), batch(2, 0, 0, 1, &[8, 9])]);
    let out_of_isr = replica(3, true, vec![batch(0, 0, 0, 0, &[5, 6])]);
    r.partition(Some(1), 2, &[1, 2], vec![l, f, out_of_isr]);
    let dead = replica(5, false, vec![batch(0, 0, 0, 0, &[5, 6])]);
    r.partition(Some(4), 1, &[4, 5], vec![replica(4, true, vec![shared]), dead]);
    assert_eq!(r.check().anomalies[Anomaly::Divergence], 0);
}

#[test]
fn offline_partitions_are_not_judged_for_divergence() {
    let mut r = Run::new(&["p1"], 4);
    r.partition(
        None,
        1,
        &[1, 2],
        vec![replica(1, true, vec![batch(0, 0, 0, 0, &[0])]), replica(2, true, vec![batch(0, 0, 0, 0, &[1])])],
    );
    assert_eq!(r.check().anomalies[Anomaly::Divergence], 0);
}

// ---- consumers: lost_processing, duplicate_processing, phantom_read ----

/// p1 wrote records 0..n to orders/0 at their own offsets (one online replica, broker 1), and
/// consumer c1 of group g1 reads orders with this commit placement.
fn consumed_run(n: u32, commit: CommitMode) -> Run {
    let mut r = Run::new(&["p1"], n);
    let ids: Vec<u32> = (0..n).collect();
    r.sent(1, 0, 0, 0, &ids).acked(2, 0, 0, 0, &ids, 0, 1, 0).single(vec![batch(0, 0, 0, 0, &ids)]);
    r.consumer("c1", "g1", &["orders"], commit);
    r
}

/// c1/0 polls p1#0..3, commits offset 4, processes p1#0 and p1#1 and crashes: p1#2 and p1#3 are
/// never processed.
fn commit_then_crash_run(commit: CommitMode) -> Run {
    let mut r = consumed_run(4, commit);
    r.assigned(10, 0, 0, 1, &[0])
        .polled(20, 0, 0, &at_own_offsets(0..4))
        .committed(21, 0, 0, &[(0, 4)], Ok(()))
        .processed(22, 0, 0, &at_own_offsets(0..2))
        .consumer_fault(23, FaultAction::Crash, 0, 0)
        .ev(30, EventKind::ConsumerStarted { consumer: 0, instance: 0 })
        .assigned(31, 0, 0, 2, &[0])
        .offsets_log(0, &[("g1", &[(0, 4)])], None);
    r
}

/// c1/0 processes p1#0..1 and commits offset 2, processes p1#2..5 and crashes before committing;
/// c1/1 is assigned orders/0 and processes p1#2..5 again.
fn process_then_crash_run(commit: CommitMode) -> Run {
    let mut r = consumed_run(6, commit);
    r.assigned(10, 0, 0, 1, &[0])
        .polled(11, 0, 0, &at_own_offsets(0..2))
        .processed(12, 0, 0, &at_own_offsets(0..2))
        .committed(13, 0, 0, &[(0, 2)], Ok(()))
        .polled(20, 0, 0, &at_own_offsets(2..6))
        .processed(22, 0, 0, &at_own_offsets(2..6))
        .consumer_fault(23, FaultAction::Crash, 0, 0)
        .assigned(40, 0, 1, 3, &[0])
        .polled(41, 0, 1, &at_own_offsets(2..6))
        .processed(42, 0, 1, &at_own_offsets(2..6))
        .committed(43, 0, 1, &[(0, 6)], Ok(()))
        .offsets_log(0, &[("g1", &[(0, 2)]), ("g1", &[(0, 6)])], None);
    r
}

#[test]
fn a_crash_after_committing_and_before_processing_loses_the_uncommitted_records() {
    let v = commit_then_crash_run(CommitMode::BeforeProcessing).check();
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 2, "p1#2 and p1#3 were committed past but never processed");
    assert_eq!((v.anomalies[Anomaly::DuplicateProcessing], v.anomalies[Anomaly::PhantomRead]), (0, 0));
    let lost = findings(&v, "lost_processing");
    assert_eq!(lost.len(), 2);
    assert_eq!(
        lost[0],
        "p1#2 (orders/0 offset 2) never processed by group g1: c1/0 polled it at 20 ms; c1/0 committed offset 4 \
         for orders/0 at 21 ms, passing it; c1/0 crashed at 23 ms; the group's final committed offset for \
         orders/0 is 4"
    );
    assert_eq!(v.findings.iter().find(|f| f.anomaly == Anomaly::LostProcessing).unwrap().subject, "p1#2");
    let c1 = &v.consumers["c1"];
    assert_eq!((c1.processed, c1.distinct), (2, 2));
}

/// In a run that did not settle, a group that never polled: the records below its final
/// committed offset (2, in the final offsets log) are lost, the ones at and above it unsettled.
#[test]
fn in_a_run_that_did_not_settle_the_final_committed_offset_splits_lost_from_unsettled() {
    let mut r = consumed_run(4, CommitMode::AfterProcessing);
    r.offsets_log(0, &[("g1", &[(0, 2)])], None);
    r.history.end = kafkasim::record::RunEnd {
        settled: false,
        waiting: vec!["consumer c1/0 is in a rebalance".into()],
        reason: kafkasim::record::EndReason::DurationMs,
    };
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 2, "p1#0 and p1#1, below the committed offset");
    assert_eq!(v.unsettled.get("c1"), Some(&2), "p1#2 and p1#3");
}

#[test]
fn in_a_run_that_did_not_settle_a_record_a_commit_passed_is_still_lost_and_one_not_reached_is_unsettled() {
    let mut r = commit_then_crash_run(CommitMode::BeforeProcessing);
    // Three more records in the log that no member reached before the run stopped (three, not
    // two, so that the lost and the unsettled cannot swap unnoticed).
    r.history.partitions[0].replicas[0].log.push(batch(4, 0, 0, 0, &[4, 5, 6]));
    r.history.partitions[0].replicas[0].hw = 7;
    r.history.partitions[0].replicas[0].leo = 7;
    r.scenario.producers[0].records = 7;
    r.history.end = kafkasim::record::RunEnd {
        settled: false,
        waiting: vec!["consumer c1/0 is in a rebalance".into()],
        reason: kafkasim::record::EndReason::DurationMs,
    };
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 2, "p1#2 and p1#3: the commit of offset 4 passed them");
    assert_eq!(v.unsettled.get("c1"), Some(&3), "p1#4 to p1#6: no member got there");
    r.history.end = kafkasim::record::RunEnd::default();
    assert_eq!(r.check().anomalies[Anomaly::LostProcessing], 5, "in a settled run all five are lost");
}

#[test]
fn a_crash_after_processing_and_before_committing_duplicates_processing_and_loses_nothing() {
    let v = process_then_crash_run(CommitMode::AfterProcessing).check();
    assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], 4, "p1#2..5 were processed by c1/0 and again by c1/1");
    assert_eq!((v.anomalies[Anomaly::LostProcessing], v.anomalies[Anomaly::PhantomRead]), (0, 0));
    let dup = findings(&v, "duplicate_processing");
    assert_eq!(
        dup[0],
        "p1#2 (orders/0 offset 2) processed twice by group g1: by c1/0 at 22 ms, then by c1/1 at 42 ms after \
         c1/0 crashed at 23 ms; the group's committed offset for orders/0 was 2 when c1/1 was assigned it at \
         generation 3"
    );
    let c1 = &v.consumers["c1"];
    assert_eq!((c1.processed, c1.distinct), (10, 6));
    assert_eq!(c1.committed.get("orders/0"), Some(&6));
}

#[test]
fn a_failed_commit_explains_a_duplicate_when_no_fault_does() {
    let mut r = consumed_run(2, CommitMode::AfterProcessing);
    r.assigned(10, 0, 0, 1, &[0])
        .polled(11, 0, 0, &at_own_offsets(0..2))
        .processed(12, 0, 0, &at_own_offsets(0..2))
        .committed(13, 0, 0, &[(0, 2)], Err(KafkaError::NetworkException))
        .assigned(20, 0, 0, 2, &[0])
        .polled(21, 0, 0, &at_own_offsets(0..2))
        .processed(22, 0, 0, &at_own_offsets(0..2))
        .processed(23, 0, 0, &at_own_offsets(0..1));
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], 2);
    assert_eq!(
        findings(&v, "duplicate_processing")[0],
        "p1#0 (orders/0 offset 0) processed 3 times by group g1: by c1/0 at 12 ms, then by c1/0 at 22 ms after \
         c1/0's offset commit failed with NETWORK_EXCEPTION at 13 ms, then by c1/0 at 23 ms; the group had no \
         committed offset for orders/0 when c1/0 was assigned it at generation 2"
    );
}

#[test]
fn a_record_read_and_then_truncated_away_is_a_phantom_read() {
    let mut r = Run::new(&["p1"], 3);
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing);
    r.sent(1, 0, 0, 0, &[0, 1, 2])
        .acked(2, 0, 0, 0, &[0, 1], 0, 1, 0)
        .leader_change(3, 0, Some(1), 0, false)
        .polled(20, 0, 0, &[(0, 0, 0), (0, 1, 1)])
        .processed(21, 0, 0, &[(0, 0, 0), (0, 1, 1)])
        .fault(25, FaultAction::Crash, 1)
        .leader_change(30, 0, Some(2), 1, false)
        .acked(35, 0, 0, 0, &[2], 1, 2, 1);
    let old = vec![batch(0, 0, 0, 0, &[0, 1])];
    let new = vec![batch(0, 0, 0, 0, &[0]), batch(1, 0, 0, 1, &[2])];
    r.partition(Some(2), 1, &[2], vec![replica(1, false, old), replica(2, true, new)]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::PhantomRead], 1, "p1#0 is still at offset 0; p1#1 is gone from offset 1");
    assert_eq!(
        findings(&v, "phantom_read")[0],
        "p1#1 read by c1/0 at orders/0 offset 1 at 20 ms (leader broker 1, epoch 0); broker 1 crashed at 25 ms; \
         broker 2 became leader at epoch 1 (30 ms); offset 1 now holds p1#2 (instance 0, epoch 1); no final log \
         holds it"
    );
    assert_eq!(v.anomalies[Anomaly::LostAcked], 1);
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 1, "p1#2 now at offset 1 was never processed");
}

#[test]
fn reads_still_in_the_final_log_or_on_an_offline_partition_are_not_phantom_reads() {
    let mut r = Run::new(&["p1"], 4);
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing);
    // orders/0 holds p1#0 and p1#1 (read out of offset order); orders/1 is offline.
    r.polled(20, 0, 0, &[(0, 1, 1), (0, 0, 0), (1, 0, 2), (1, 7, 3)])
        .single(vec![batch(0, 0, 0, 0, &[0]), batch(1, 0, 0, 0, &[1])])
        .partition(None, 1, &[], vec![replica(2, false, vec![])]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::PhantomRead], 0);
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 2, "p1#0 and p1#1 of online orders/0 were never processed");
}

#[test]
fn a_read_past_the_final_log_end_is_a_phantom_read() {
    let mut r = consumed_run(2, CommitMode::AfterProcessing);
    r.polled(20, 0, 0, &[(0, 5, 1)]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::PhantomRead], 1);
    let e = findings(&v, "phantom_read")[0];
    assert!(
        e.contains("the final log ends before offset 5 (log end offset 2); it stands at orders/0 offset 1 instead"),
        "{e}"
    );
}

#[test]
fn internal_partitions_are_not_workload_data_and_are_not_reported() {
    let mut r = consumed_run(2, CommitMode::AfterProcessing);
    r.processed(10, 0, 0, &at_own_offsets(0..2)).committed(11, 0, 0, &[(0, 2)], Ok(()));
    // Two in-sync replicas of __consumer_offsets/0 that disagree, and an offline __consumer_offsets/1.
    let commit = meta_batch(0, offset_commit("g1", &[(0, 2)]));
    let group = GroupRecord { group: "g1".into(), generation: 1, leader: None, members: Vec::new() };
    let a = replica(1, true, vec![commit.clone(), meta_batch(1, MetaRecord::GroupMetadata(Arc::new(group)))]);
    let mut b = replica(2, true, vec![meta_batch(0, offset_commit("g1", &[(0, 1)]))]);
    b.hw = 2;
    r.topic_partition("__consumer_offsets", 0, Some(1), &[1, 2], vec![a, b]);
    r.topic_partition("__consumer_offsets", 1, None, &[], vec![replica(3, false, vec![commit])]);
    let v = r.check();
    assert_eq!(v.anomalies, Default::default(), "{:?}", v.findings);
    assert_eq!(v.consumers["c1"].committed.get("orders/0"), Some(&2));
    let rep = r.report();
    assert_eq!(rep.partitions.keys().collect::<Vec<_>>(), vec!["orders/0"]);
    assert!(!to_text(&rep).contains("__consumer_offsets"));
    assert!(!to_json_line(&rep).contains("__consumer_offsets"));
}

#[test]
fn committed_offsets_come_from_the_final_offsets_log_below_its_high_watermark() {
    let mut r = consumed_run(6, CommitMode::AfterProcessing);
    r.processed(10, 0, 0, &at_own_offsets(0..6)).committed(11, 0, 0, &[(0, 2)], Ok(())).committed(
        12,
        0,
        0,
        &[(0, 6)],
        Ok(()),
    );
    // The commit of offset 6 stands above the high watermark; another group's commit is not g1's.
    r.offsets_log(0, &[("g1", &[(0, 2)]), ("g9", &[(0, 5)]), ("g1", &[(0, 6)])], Some(2));
    let rep = r.report();
    let v: serde_json::Value = serde_json::from_str(&to_json_line(&rep)).unwrap();
    assert_eq!(v["consumers"]["c1"], serde_json::json!({"processed": 6, "distinct": 6, "committed": {"orders/0": 2}}));
}

#[test]
fn a_commit_the_client_saw_succeed_but_missing_from_the_final_offsets_log_is_not_committed() {
    let mut r = consumed_run(6, CommitMode::AfterProcessing);
    r.processed(10, 0, 0, &at_own_offsets(0..6))
        .committed(11, 0, 0, &[(0, 2)], Ok(()))
        .committed(12, 0, 0, &[(0, 6)], Ok(()))
        .offsets_log(0, &[("g1", &[(0, 2)])], None);
    assert_eq!(r.check().consumers["c1"].committed.get("orders/0"), Some(&2));
    // No offsets log at all: nothing is committed.
    let mut r = consumed_run(1, CommitMode::AfterProcessing);
    r.processed(10, 0, 0, &at_own_offsets(0..1)).committed(11, 0, 0, &[(0, 1)], Ok(()));
    assert!(r.check().consumers["c1"].committed.is_empty());
}

#[test]
fn each_commit_mode_promises_its_semantic_and_breaks_it_only_by_its_anomaly() {
    let cases = [
        (CommitMode::BeforeProcessing, "at-most-once"),
        (CommitMode::AfterProcessing, "at-least-once"),
        (CommitMode::Auto, "at-least-once"),
    ];
    for (mode, delivery) in cases {
        let lossy = commit_then_crash_run(mode).check();
        let sem = &lossy.semantics["c1"];
        assert_eq!(sem.delivery, delivery, "{mode:?}");
        if mode == CommitMode::BeforeProcessing {
            assert!(sem.holds, "losing processing keeps at-most-once");
        } else {
            assert!(!sem.holds, "{mode:?}");
            assert_eq!(sem.broken_by, vec!["2 records never processed by group g1".to_string()]);
        }
        let dup = process_then_crash_run(mode).check();
        let sem = &dup.semantics["c1"];
        if mode == CommitMode::BeforeProcessing {
            assert!(!sem.holds);
            assert_eq!(sem.broken_by, vec!["4 records processed more than once by group g1".to_string()]);
        } else {
            assert!(sem.holds, "processing twice keeps at-least-once ({mode:?})");
        }
        // The producer's verdict sits alongside.
        assert!(dup.semantics["p1"].holds);
    }
}

#[test]
fn two_consumer_tables_of_one_group_share_its_processing_but_keep_their_own_counts_and_topics() {
    let mut r = Run::new(&["p1"], 6);
    r.consumer("c1", "g1", &["orders"], CommitMode::BeforeProcessing);
    r.consumer("c2", "g1", &["orders", "payments"], CommitMode::AfterProcessing);
    r.single(vec![batch(0, 0, 0, 0, &[0, 1, 2, 3])]);
    r.topic_partition("payments", 0, Some(1), &[1], vec![replica(1, true, vec![batch(0, 0, 0, 0, &[4, 5])])]);
    r.processed(10, 0, 0, &at_own_offsets(0..2))
        .processed(11, 1, 0, &[(0, 2, 2), (0, 3, 3), (1, 0, 4)])
        .processed(12, 0, 0, &[(0, 3, 3)])
        .offsets_log(0, &[("g1", &[(0, 4), (1, 1)])], None);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 1, "p1#5 of payments/0 was never processed by g1");
    assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], 1, "p1#3 was processed by c2 and then by c1, one group");
    assert_eq!(
        findings(&v, "duplicate_processing")[0],
        "p1#3 (orders/0 offset 3) processed twice by group g1: by c2/0 at 11 ms, then by c1/0 at 12 ms"
    );
    let (c1, c2) = (&v.consumers["c1"], &v.consumers["c2"]);
    assert_eq!((c1.processed, c1.distinct), (3, 3));
    assert_eq!((c2.processed, c2.distinct), (3, 3));
    assert_eq!(c1.committed.keys().collect::<Vec<_>>(), vec!["orders/0"]);
    assert_eq!(c2.committed.keys().collect::<Vec<_>>(), vec!["orders/0", "payments/0"]);
    // c1 reads only orders: the loss on payments is not its; the duplicate is.
    assert!(!v.semantics["c1"].holds);
    assert_eq!(v.semantics["c1"].broken_by, vec!["1 record processed more than once by group g1".to_string()]);
    assert!(!v.semantics["c2"].holds);
    assert_eq!(v.semantics["c2"].broken_by, vec!["1 record never processed by group g1".to_string()]);
}

#[test]
fn a_record_processed_once_by_each_of_two_groups_is_no_duplicate_and_one_both_lose_counts_once() {
    let mut r = consumed_run(3, CommitMode::AfterProcessing);
    r.consumer("c2", "g2", &["orders"], CommitMode::AfterProcessing);
    r.processed(10, 0, 0, &at_own_offsets(0..2)).processed(10, 1, 0, &at_own_offsets(0..2));
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], 0);
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 1, "p1#2, lost by g1 and by g2");
    let lost = findings(&v, "lost_processing");
    assert_eq!(lost.len(), 1);
    assert_eq!(
        lost[0],
        "p1#2 (orders/0 offset 2) never processed by group g1 (nor by group g2): no member of group g1 polled it \
         (none was ever assigned orders/0); no commit of group g1 passed it; the final offsets log holds no \
         committed offset of the group for orders/0"
    );
    assert_eq!(v.semantics["c1"].broken_by, vec!["1 record never processed by group g1".to_string()]);
    assert_eq!(v.semantics["c2"].broken_by, vec!["1 record never processed by group g2".to_string()]);
}

#[test]
fn records_above_the_high_watermark_or_on_offline_partitions_are_not_lost_processing() {
    let mut r = Run::new(&["p1"], 4);
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing);
    let mut leader = replica(1, true, vec![batch(0, 0, 0, 0, &[0, 1])]);
    leader.hw = 1;
    r.partition(Some(1), 0, &[1], vec![leader]);
    r.partition(None, 0, &[], vec![replica(2, false, vec![batch(0, 0, 0, 0, &[2, 3])])]);
    r.processed(10, 0, 0, &at_own_offsets(0..1));
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 0);
    assert!(v.semantics["c1"].holds);
}

#[test]
fn a_batch_across_the_high_watermark_can_lose_only_its_records_below_it() {
    let mut r = Run::new(&["p1"], 5);
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing);
    let mut leader = replica(1, true, vec![batch(0, 0, 0, 0, &[0, 1]), batch(2, 0, 0, 0, &[2, 3, 4])]);
    leader.hw = 4;
    r.partition(Some(1), 0, &[1], vec![leader]);
    r.processed(10, 0, 0, &at_own_offsets(0..2));
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 2, "p1#2 and p1#3, below the high watermark; not p1#4");
}

#[test]
fn records_of_topics_no_group_reads_are_not_lost_processing() {
    let mut r = Run::new(&["p1"], 2);
    r.consumer("c1", "g1", &["payments"], CommitMode::AfterProcessing);
    r.single(vec![batch(0, 0, 0, 0, &[0, 1])]);
    assert_eq!(r.check().anomalies[Anomaly::LostProcessing], 0);
}

#[test]
fn text_report_shows_consumers_next_to_producers_and_their_semantics() {
    let text = to_text(&process_then_crash_run(CommitMode::AfterProcessing).report());
    assert!(
        text.contains(
            "\nproducers:\n  producer  sent  acked  failed  indeterminate\n  p1           6      6       0              0\n\
             \nconsumers:\n  consumer  group  processed  distinct  committed\n  c1        g1            10         6  orders/0=6\n"
        ),
        "{text}"
    );
    assert!(text.contains("\nduplicate_processing (4):\n  - p1#2 (orders/0 offset 2) processed twice"), "{text}");
    assert!(text.contains("  c1 promises at-least-once: held\n  p1 promises at-least-once: held\n"), "{text}");
    let lossy = to_text(&commit_then_crash_run(CommitMode::Auto).report());
    assert!(lossy.contains("  c1 promises at-least-once: broken: 2 records never processed by group g1\n"), "{lossy}");
}

#[test]
fn processing_findings_are_capped_but_counts_stay_exact() {
    let n = (FINDINGS_CAP + 20) as u32;
    let mut r = consumed_run(n, CommitMode::AfterProcessing);
    r.consumer("c2", "g2", &["orders"], CommitMode::AfterProcessing);
    let all = at_own_offsets(0..n);
    r.processed(10, 0, 0, &all).processed(11, 0, 0, &all);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], n as u64);
    assert_eq!(v.anomalies[Anomaly::LostProcessing], n as u64, "g2 processed nothing");
    assert_eq!(findings(&v, "duplicate_processing").len(), FINDINGS_CAP);
    assert_eq!(findings(&v, "lost_processing").len(), FINDINGS_CAP);
}

// ---- transactions ----

/// A transactional data batch of producer id `pid` (epoch 0) written by p`producer`/`instance`.
fn txn_batch(base: u64, producer: u32, instance: u32, pid: i64, ids: &[u32]) -> Arc<LogBatch> {
    Arc::new(LogBatch {
        base_offset: base,
        leader_epoch: 0,
        producer_id: pid,
        producer_epoch: 0,
        base_sequence: 0,
        producer,
        instance,
        records: recs(ids),
        meta: None,
        transactional: true,
        timestamp: 0,
    })
}

/// A COMMIT (`commit`) or ABORT marker ending producer id `pid`'s open transaction.
fn marker(base: u64, pid: i64, commit: bool) -> Arc<LogBatch> {
    Arc::new(LogBatch {
        base_offset: base,
        leader_epoch: 0,
        producer_id: pid,
        producer_epoch: 0,
        base_sequence: -1,
        producer: 0,
        instance: 0,
        records: recs(&[]),
        meta: Some(Arc::new(MetaRecord::TxnMarker { commit, coordinator_epoch: 0 })),
        transactional: true,
        timestamp: 0,
    })
}

impl Run {
    /// Producers `names`, transactional (`transactional.id` = the name), writing to `orders`.
    fn transactional(names: &[&str], records: u32) -> Run {
        let mut r = Run::new(names, records);
        for p in &mut r.scenario.producers {
            p.config.enable_idempotence = true;
            p.config.transactional_id = Some(p.name.clone());
        }
        r
    }

    #[allow(clippy::too_many_arguments)]
    fn txn_ended(
        &mut self,
        at: u64,
        producer: u32,
        instance: u32,
        txn: u32,
        commit: bool,
        ids: &[u32],
        result: Result<(), KafkaError>,
    ) -> &mut Self {
        self.ev(at, EventKind::TxnEnded { producer, instance, txn, commit, records: recs(ids), result })
    }

    /// Sends and acks `ids` of p1/0 as one batch at `offset` of partition `partition`.
    fn sent_acked(&mut self, at: u64, partition: u32, ids: &[u32], offset: i64) -> &mut Self {
        self.sent(at, 0, 0, partition, ids).acked(at + 1, 0, 0, partition, ids, offset, 1, 0)
    }

    /// Makes consumer `consumer` read_committed.
    fn read_committed(&mut self, consumer: usize) -> &mut Self {
        self.history.consumers[consumer].isolation = IsolationLevel::ReadCommitted;
        self
    }
}

#[test]
fn a_committed_transaction_standing_whole_before_its_commit_marker_is_clean() {
    let mut r = Run::transactional(&["p1"], 3);
    r.sent_acked(1, 0, &[0, 1, 2], 0)
        .txn_ended(5, 0, 0, 0, true, &[0, 1, 2], Ok(()))
        .single(vec![txn_batch(0, 0, 0, 7, &[0, 1, 2]), marker(3, 7, true)]);
    let v = r.check();
    assert_eq!(v.anomalies, Default::default());
    let p1 = v.producers["p1"];
    assert_eq!((p1.sent, p1.acked, p1.failed, p1.indeterminate), (3, 3, 0, 0));
    assert_eq!(v.semantics["p1"].delivery, "exactly-once");
    assert!(v.semantics["p1"].holds);
}

#[test]
fn a_transactional_record_counts_as_acked_only_once_its_transactions_commit_succeeded() {
    let mut r = Run::transactional(&["p1"], 4);
    r.sent_acked(1, 0, &[0, 1], 0)
        .txn_ended(5, 0, 0, 0, true, &[0, 1], Ok(()))
        .sent_acked(6, 0, &[2, 3], 2) // its transaction never ended
        .single(vec![]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostAcked], 2, "only the committed p1#0 and p1#1 were acknowledged");
    let p1 = v.producers["p1"];
    assert_eq!((p1.acked, p1.failed, p1.indeterminate), (2, 0, 2), "the open transaction's records are undecided");
    let lost = findings(&v, "lost_acked");
    assert!(
        lost[0].starts_with(
            "p1#0 was in transaction 0 (2 records), whose commitTransaction() returned success at 5 ms; \
             its batch was acked at orders/0 offset 0 by broker 1 (epoch 0) at 2 ms"
        ),
        "{}",
        lost[0]
    );
    assert!(!v.semantics["p1"].holds);
}

#[test]
fn a_record_of_an_aborted_transaction_is_never_lost_acked() {
    let mut r = Run::transactional(&["p1"], 2);
    r.sent_acked(1, 0, &[0, 1], 0).txn_ended(5, 0, 0, 0, false, &[0, 1], Ok(())).single(vec![]);
    let v = r.check();
    assert_eq!(v.anomalies, Default::default());
    let p1 = v.producers["p1"];
    assert_eq!((p1.acked, p1.failed, p1.indeterminate), (0, 2, 0), "a successful abort wrote nothing");
}

#[test]
fn a_commit_that_failed_leaves_its_records_indeterminate_and_never_lost() {
    let mut r = Run::transactional(&["p1"], 2);
    r.sent_acked(1, 0, &[0, 1], 0)
        .txn_ended(5, 0, 0, 0, true, &[0, 1], Err(KafkaError::RequestTimedOut))
        .single(vec![]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostAcked], 0);
    assert_eq!(v.producers["p1"].indeterminate, 2);
}

#[test]
fn a_committed_record_standing_only_in_an_aborted_transaction_is_lost_acked() {
    let mut r = Run::transactional(&["p1"], 2);
    r.sent_acked(1, 0, &[0, 1], 0)
        .txn_ended(5, 0, 0, 0, true, &[0, 1], Ok(()))
        .single(vec![txn_batch(0, 0, 0, 7, &[0, 1]), marker(2, 7, false)]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostAcked], 2);
    assert_eq!(v.anomalies[Anomaly::TornTransaction], 0, "nothing of it committed: lost whole, not torn");
    let lost = findings(&v, "lost_acked");
    assert!(
        lost[1].ends_with(
            "the final log holds it at offset 1, in a transaction aborted by the marker at offset 2 that began at offset 0"
        ),
        "{}",
        lost[1]
    );
}

#[test]
fn aborted_copies_retried_in_a_committed_transaction_are_neither_duplicated_nor_reordered() {
    let mut r = Run::transactional(&["p1"], 2);
    r.sent_acked(1, 0, &[0, 1], 0)
        .txn_ended(5, 0, 0, 0, false, &[0, 1], Ok(()))
        .sent_acked(6, 0, &[1, 0], 3)
        .txn_ended(9, 0, 0, 1, true, &[1, 0], Ok(()))
        .single(vec![
            txn_batch(0, 0, 0, 7, &[0, 1]),
            marker(2, 7, false),
            txn_batch(3, 0, 0, 7, &[1, 0]),
            marker(5, 7, true),
        ]);
    let v = r.check();
    assert_eq!(v.anomalies, Default::default());
    assert!(v.semantics["p1"].holds);

    // Two committed copies are duplicates, and break exactly-once.
    let mut r = Run::transactional(&["p1"], 1);
    r.sent_acked(1, 0, &[0], 0).txn_ended(5, 0, 0, 0, true, &[0], Ok(())).single(vec![
        txn_batch(0, 0, 0, 7, &[0]),
        marker(1, 7, true),
        txn_batch(2, 0, 0, 7, &[0]),
        marker(3, 7, true),
    ]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::Duplicated], 1);
    assert_eq!(v.semantics["p1"].broken_by, vec!["1 record duplicated".to_string()]);
}

#[test]
fn a_committed_transaction_only_partly_in_the_final_logs_is_torn() {
    let mut r = Run::transactional(&["p1"], 4);
    r.sent_acked(1, 0, &[0, 1], 0)
        .sent_acked(1, 1, &[2, 3], 0)
        .txn_ended(5, 0, 0, 3, true, &[0, 1, 2, 3], Ok(()))
        .single(vec![txn_batch(0, 0, 0, 7, &[0, 1]), marker(2, 7, true)])
        .single(vec![txn_batch(0, 0, 0, 7, &[2]), marker(1, 7, false)]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::TornTransaction], 1);
    assert_eq!(v.anomalies[Anomaly::LostAcked], 2, "p1#2 and p1#3 were committed and are not committed data");
    let torn = findings(&v, "torn_transaction");
    assert_eq!(
        torn[0],
        "p1/0's commitTransaction() of transaction 3 returned success at 5 ms, yet only 2 of its 4 records stand \
         in the final logs as committed data: 2 at orders/0 offsets 0 to 1 (committed by the marker at offset 2); \
         missing: p1#2 (at orders/1 offset 0, in a transaction aborted by the marker at offset 1) and p1#3 \
         (in no final log)"
    );
    assert_eq!(
        v.findings.iter().find(|f| f.anomaly == Anomaly::TornTransaction).unwrap().subject,
        "p1/0 transaction 3"
    );
    assert_eq!(
        v.semantics["p1"].broken_by,
        vec!["2 acknowledged records lost".to_string(), "1 committed transaction torn".to_string()]
    );
}

#[test]
fn a_transaction_whose_commit_failed_is_not_judged_for_tearing() {
    let mut r = Run::transactional(&["p1"], 2);
    r.sent_acked(1, 0, &[0, 1], 0)
        .txn_ended(5, 0, 0, 0, true, &[0, 1], Err(KafkaError::RequestTimedOut))
        .single(vec![txn_batch(0, 0, 0, 7, &[0]), marker(1, 7, true)]);
    assert_eq!(r.check().anomalies[Anomaly::TornTransaction], 0);
}

#[test]
fn an_open_transaction_below_the_high_watermark_sticks_the_lso() {
    let mut r = Run::transactional(&["p1", "p2"], 4);
    r.sent_acked(1, 0, &[0, 1], 0);
    // orders/0: p1's transaction at offset 2 never ends; p2's committed one follows it.
    r.single(vec![
        txn_batch(0, 0, 0, 7, &[0, 1]),
        marker(2, 7, true),
        txn_batch(3, 0, 0, 7, &[2, 3]),
        txn_batch(5, 1, 0, 8, &[0]),
        marker(6, 8, true),
    ]);
    // orders/1: an open transaction at the high watermark pins nothing.
    let mut rep = replica(1, true, vec![txn_batch(0, 1, 0, 8, &[1]), marker(1, 8, true), txn_batch(2, 1, 0, 8, &[2])]);
    rep.hw = 2;
    r.partition(Some(1), 0, &[1], vec![rep]);
    // orders/2: a marker not yet below the high watermark keeps its transaction unstable.
    let mut rep = replica(1, true, vec![txn_batch(0, 1, 0, 9, &[3]), marker(1, 9, true)]);
    rep.hw = 1;
    r.partition(Some(1), 0, &[1], vec![rep]);
    r.txn_ended(9, 0, 0, 0, true, &[0, 1], Ok(()));
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::StuckLso], 2, "orders/0 and orders/2");
    let stuck = findings(&v, "stuck_lso");
    assert_eq!(
        stuck[0],
        "orders/0's last stable offset is 3, below its high watermark 7; the transaction of producer id 7 \
         (epoch 0, p1 instance 0) that began at offset 3 (1 batch, 2 records) is still open (no marker in the final \
         log); p1/0 never saw it end (no commitTransaction() or abortTransaction() returned); read_committed \
         consumers cannot read offsets 3 to 6"
    );
    assert!(stuck[1].starts_with("orders/2's last stable offset is 0, below its high watermark 1"), "{}", stuck[1]);
    assert!(stuck[1].contains("has its COMMIT marker at offset 1, not below the high watermark"), "{}", stuck[1]);
    assert_eq!(v.anomalies[Anomaly::LostAcked], 0, "p1#0 and p1#1 stand committed");
}

/// p1's transaction 0 (p1#0, p1#1) aborted, transaction 1 (p1#2) committed, transaction 2 (p1#3)
/// still open, all on orders/0; consumer c1 of group g1 polls every record.
fn txn_consumed_run() -> Run {
    let mut r = Run::transactional(&["p1"], 4);
    r.sent_acked(1, 0, &[0, 1], 0)
        .txn_ended(3, 0, 0, 0, false, &[0, 1], Ok(()))
        .sent_acked(4, 0, &[2], 3)
        .txn_ended(6, 0, 0, 1, true, &[2], Ok(()))
        .sent_acked(7, 0, &[3], 5)
        .single(vec![
            txn_batch(0, 0, 0, 7, &[0, 1]),
            marker(2, 7, false),
            txn_batch(3, 0, 0, 7, &[2]),
            marker(4, 7, true),
            txn_batch(5, 0, 0, 7, &[3]),
        ]);
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing);
    r.polled(10, 0, 0, &[(0, 0, 0), (0, 1, 1), (0, 3, 2), (0, 5, 3)]);
    r
}

#[test]
fn a_read_committed_consumer_given_records_of_uncommitted_transactions_is_an_aborted_read() {
    let mut r = txn_consumed_run();
    r.read_committed(0);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::AbortedRead], 3, "p1#0 and p1#1 were aborted, p1#3 is still open; p1#2 committed");
    assert_eq!(v.anomalies[Anomaly::PhantomRead], 0);
    let reads = findings(&v, "aborted_read");
    assert_eq!(
        reads[0],
        "p1#0 read by c1/0 (read_committed) at orders/0 offset 0 at 10 ms; its batch is in the transaction of \
         producer id 7 (epoch 0, p1 instance 0) that began at offset 0, aborted by the marker at offset 2; \
         p1/0's abortTransaction() of transaction 0 returned success at 3 ms"
    );
    assert!(
        reads[2].contains("still open (no marker in the final log); p1/0 never saw that transaction end"),
        "{}",
        reads[2]
    );
}

/// Two aborted batches one after the other, read in offset order: both reads are aborted reads
/// (the lookup that follows a read to the next batch finds that batch, not the one before).
#[test]
fn reads_of_consecutive_aborted_batches_are_each_an_aborted_read() {
    let mut r = Run::transactional(&["p1"], 2);
    r.sent_acked(1, 0, &[0], 0).sent_acked(2, 0, &[1], 1).txn_ended(3, 0, 0, 0, false, &[0, 1], Ok(()));
    r.single(vec![txn_batch(0, 0, 0, 7, &[0]), txn_batch(1, 0, 0, 7, &[1]), marker(2, 7, false)]);
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing).read_committed(0);
    r.polled(10, 0, 0, &[(0, 0, 0), (0, 1, 1)]);
    assert_eq!(r.check().anomalies[Anomaly::AbortedRead], 2);
}

/// A read_committed consumer given `p1#0` at an offset whose aborted batch holds `p2#0` (same
/// index, another producer) read something else: a phantom read, not an aborted one.
#[test]
fn a_read_of_another_producers_record_at_an_aborted_offset_is_no_aborted_read() {
    let mut r = Run::transactional(&["p1", "p2"], 1);
    r.sent(1, 1, 0, 0, &[0]).acked(2, 1, 0, 0, &[0], 0, 1, 0).txn_ended(3, 1, 0, 0, false, &[0], Ok(()));
    r.single(vec![txn_batch(0, 1, 0, 7, &[0]), marker(1, 7, false)]);
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing).read_committed(0);
    r.polled(10, 0, 0, &[(0, 0, 0)]);
    let v = r.check();
    assert_eq!((v.anomalies[Anomaly::AbortedRead], v.anomalies[Anomaly::PhantomRead]), (0, 1));
}

#[test]
fn a_record_read_by_two_read_committed_consumers_counts_once_and_read_uncommitted_reads_not_at_all() {
    let mut r = txn_consumed_run();
    assert_eq!(r.check().anomalies[Anomaly::AbortedRead], 0, "read_uncommitted may read aborted records");
    r.consumer("c2", "g2", &["orders"], CommitMode::AfterProcessing).read_committed(0).read_committed(1);
    r.polled(11, 1, 0, &[(0, 1, 1)]);
    assert_eq!(r.check().anomalies[Anomaly::AbortedRead], 3);
}

#[test]
fn a_read_committed_group_owes_no_processing_to_uncommitted_records_but_a_read_uncommitted_group_does() {
    let mut r = txn_consumed_run();
    r.processed(12, 0, 0, &[(0, 3, 2)]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 3, "read_uncommitted g1 reads p1#0, p1#1 and p1#3 too");
    r.read_committed(0);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 0, "read_committed g1 only owes p1#2");
    assert!(v.semantics["c1"].holds);

    // A committed record behind a stuck LSO is out of a read_committed group's reach.
    let mut r = Run::transactional(&["p1"], 2);
    r.single(vec![txn_batch(0, 0, 0, 7, &[0]), txn_batch(1, 0, 0, 8, &[1]), marker(2, 8, true)]);
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing).read_committed(0);
    let v = r.check();
    assert_eq!((v.anomalies[Anomaly::StuckLso], v.anomalies[Anomaly::LostProcessing]), (1, 0));
}

#[test]
fn transaction_findings_are_capped_but_counts_stay_exact() {
    let n = (FINDINGS_CAP + 5) as u32;
    let mut r = Run::transactional(&["p1"], n);
    let all: Vec<u32> = (0..n).collect();
    r.single(vec![txn_batch(0, 0, 0, 7, &all), marker(n as u64, 7, false)]);
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing).read_committed(0);
    r.polled(10, 0, 0, &at_own_offsets(0..n));
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::AbortedRead], n as u64);
    assert_eq!(findings(&v, "aborted_read").len(), FINDINGS_CAP);
}

// ---- report ----

fn lossy_run() -> Run {
    let mut r = Run::new(&["p1"], 2);
    r.scenario.description = Some("one record is lost".into());
    r.sent(1, 0, 0, 0, &[0, 1]).acked(5, 0, 0, 0, &[0, 1], 0, 1, 0).single(vec![batch(0, 0, 0, 0, &[0])]);
    r.partition(None, 3, &[], vec![replica(2, false, vec![])]);
    r
}

#[test]
fn json_has_exactly_the_contracts_keys_in_order() {
    let line = to_json_line(&lossy_run().report());
    assert!(!line.contains('\n'));
    let keys = [
        "schema_version",
        "scenario",
        "seed",
        "kafka_version",
        "trace_hash",
        "virtual_ms",
        "events",
        "settled",
        "ended",
        "anomalies",
        "examples",
        "evidence",
        "producers",
        "consumers",
        "partitions",
        "semantics",
        "expect",
    ];
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    let obj = v.as_object().unwrap();
    let mut got: Vec<&str> = obj.keys().map(String::as_str).collect();
    got.sort_unstable();
    let mut want = keys.to_vec();
    want.sort_unstable();
    assert_eq!(got, want);
    let positions: Vec<usize> = keys.iter().map(|k| line.find(&format!("\"{k}\":")).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{line}");
    let anomaly_positions: Vec<usize> =
        Anomaly::NAMES.iter().map(|k| line.find(&format!("\"{k}\":")).unwrap()).collect();
    assert!(anomaly_positions.windows(2).all(|w| w[0] < w[1]), "{line}");
    assert_eq!(obj["trace_hash"], "0000000000000abc");
    assert_eq!(obj["anomalies"].as_object().unwrap().len(), 11);
    assert_eq!(obj["examples"]["lost_acked"].as_array().unwrap().len(), 1);
    assert_eq!(obj["producers"]["p1"], serde_json::json!({"sent": 2, "acked": 2, "failed": 0, "indeterminate": 0}));
    assert_eq!(
        obj["partitions"]["orders/0"],
        serde_json::json!({"leader": 1, "leader_epoch": 0, "hw": 1, "leo": 1, "isr": [1]})
    );
    assert_eq!(
        obj["partitions"]["orders/1"],
        serde_json::json!({"leader": null, "leader_epoch": 3, "hw": 0, "leo": 0, "isr": []})
    );
    assert_eq!(obj["semantics"]["p1"], serde_json::json!({"delivery": "at-least-once", "holds": false}));
    assert_eq!(obj["expect"], serde_json::json!({"passed": true, "failures": []}));
    assert_eq!(obj["consumers"], serde_json::json!({}));
}

#[test]
fn examples_hold_at_most_three_explanations_per_nonzero_anomaly() {
    let mut r = Run::new(&["p1"], 5);
    r.sent(1, 0, 0, 0, &[0, 1, 2, 3, 4]).acked(5, 0, 0, 0, &[0, 1, 2, 3, 4], 0, 1, 0).single(vec![]);
    let rep = r.report();
    assert_eq!(rep.examples.len(), 1);
    assert_eq!(rep.examples["lost_acked"].len(), 3);
    assert_eq!(rep.findings.len(), 5);
}

#[test]
fn expect_failures_are_reported() {
    let mut r = lossy_run();
    r.scenario.expect = vec![
        Expectation { anomaly: Anomaly::LostAcked, bound: Bound::Gt(0) },
        Expectation { anomaly: Anomaly::Duplicated, bound: Bound::Gt(0) },
        Expectation { anomaly: Anomaly::Unavailable, bound: Bound::Eq(0) },
        Expectation { anomaly: Anomaly::Reordered, bound: Bound::Le(3) },
    ];
    let rep = r.report();
    assert!(!rep.expect.passed);
    assert_eq!(rep.expect.failures, vec!["duplicated: expected >0, got 0".to_string()]);
    let text = to_text(&rep);
    assert!(text.ends_with("\nexpect: FAILED\n  - duplicated: expected >0, got 0\n"), "{text}");
}

#[test]
fn expect_passes_when_every_bound_holds() {
    let mut r = lossy_run();
    r.scenario.expect = vec![Expectation { anomaly: Anomaly::LostAcked, bound: Bound::Ge(1) }];
    assert!(r.report().expect.passed);
}

#[test]
fn text_report_tells_the_whole_story() {
    let text = to_text(&lossy_run().report());
    let want = "\
scenario: test
  one record is lost
seed          7
kafka         4.1
trace_hash    0000000000000abc
virtual time  5123 ms
events        42

anomalies:
  lost_acked  1

lost_acked (1):
  - p1#1 acked at orders/0 offset 1 by broker 1 (epoch 0) at 5 ms; the final log ends before offset
    1 (log end offset 1)

producers:
  producer  sent  acked  failed  indeterminate
  p1           2      2       0              0

partitions:
  partition   leader  epoch  hw  leo  isr
  orders/0         1      0   1    1  1
  orders/1   offline      3   0    0  -

semantics:
  p1 promises at-least-once: broken: 1 acknowledged record lost

expect: passed
";
    assert_eq!(text, want);
    assert!(text.is_ascii());
}

#[test]
fn text_report_says_when_there_are_no_anomalies() {
    let mut r = Run::new(&["p1"], 1);
    r.sent(1, 0, 0, 0, &[0]).acked(5, 0, 0, 0, &[0], 0, 1, 0).single(vec![batch(0, 0, 0, 0, &[0])]);
    let text = to_text(&r.report());
    assert!(text.contains("\nanomalies: none\n"), "{text}");
    assert!(text.contains("  p1 promises at-least-once: held\n"), "{text}");
}

#[test]
fn judging_is_deterministic() {
    let r = lossy_run();
    assert_eq!(to_json_line(&r.report()), to_json_line(&r.report()));
    assert_eq!(to_text(&r.report()), to_text(&r.report()));
}

#[test]
#[ignore = "timing smoke test; run with --ignored --nocapture"]
fn judging_a_million_records_is_linear() {
    let n: u32 = 1_000_000;
    let mut r = Run::new(&["p1"], n);
    let mut log = Vec::new();
    for b in 0..n / 100 {
        let ids: Vec<u32> = (b * 100..b * 100 + 100).collect();
        r.sent(b as u64, 0, 0, 0, &ids).acked(b as u64 + 5, 0, 0, 0, &ids, (b * 100) as i64, 1, 0);
        log.push(batch((b * 100) as u64, 0, 0, 0, &ids));
    }
    let follower = log.clone();
    r.partition(Some(1), 0, &[1, 2], vec![replica(1, true, log), replica(2, true, follower)]);
    let t = std::time::Instant::now();
    let v = r.check();
    eprintln!("checked {n} records in {:?}", t.elapsed());
    assert_eq!(v.anomalies, Default::default());
}

#[test]
#[ignore = "timing smoke test; run with --ignored --nocapture"]
fn judging_a_million_anomalous_records_is_linear() {
    let n: u32 = 1_000_000;
    let mut r = Run::new(&["p1"], n);
    for b in 0..n / 100 {
        let ids: Vec<u32> = (b * 100..b * 100 + 100).collect();
        r.sent(b as u64, 0, 0, 0, &ids).acked(b as u64 + 5, 0, 0, 0, &ids, (b * 100) as i64, 1, 0);
    }
    // Every batch twice, in reverse send order: every record duplicated, all but the last
    // batch's reordered.
    let mut log: Vec<Arc<LogBatch>> = Vec::new();
    for _copy in 0..2 {
        for b in (0..n / 100).rev() {
            let ids: Vec<u32> = (b * 100..b * 100 + 100).collect();
            let base = log.last().map_or(0, |l| l.next_offset());
            log.push(batch(base, 0, 0, 0, &ids));
        }
    }
    let follower: Vec<_> = log.iter().map(|b| Arc::new((**b).clone())).collect();
    r.partition(Some(1), 0, &[1, 2], vec![replica(1, true, log), replica(2, true, follower)]);
    let t = std::time::Instant::now();
    let v = r.check();
    eprintln!("checked {n} anomalous records in {:?}", t.elapsed());
    assert_eq!(v.anomalies[Anomaly::Duplicated], n as u64);
    assert_eq!(v.anomalies[Anomaly::Reordered], (n - 100) as u64);
    assert_eq!(v.findings.len(), 2 * FINDINGS_CAP);
}

#[test]
#[ignore = "timing smoke test; run with --ignored --nocapture"]
fn judging_a_million_consumed_records_is_linear() {
    let n: u32 = 1_000_000;
    let mut r = consumed_run(n, CommitMode::AfterProcessing);
    r.consumer("c2", "g2", &["orders"], CommitMode::BeforeProcessing);
    // g1 reads everything twice in polls of 500 (every record duplicated); g2 reads nothing (every
    // record lost); c1's first reading saw offsets shifted by one (every record a phantom read).
    for pass in 0..2u64 {
        for b in 0..n / 500 {
            let recs: Vec<(u32, u64, u32)> = (b * 500..b * 500 + 500).map(|i| (0, i as u64 + 1 - pass, i)).collect();
            let at = pass * 1_000_000 + b as u64;
            r.polled(at, 0, 0, &recs).processed(at, 0, 0, &recs).committed(
                at,
                0,
                0,
                &[(0, (b * 500 + 500) as u64)],
                Ok(()),
            );
        }
    }
    let t = std::time::Instant::now();
    let v = r.check();
    eprintln!("checked {n} records consumed twice in {:?}", t.elapsed());
    assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], n as u64);
    assert_eq!(v.anomalies[Anomaly::LostProcessing], n as u64);
    assert_eq!(v.anomalies[Anomaly::PhantomRead], n as u64);
}

#[test]
fn a_transactional_offset_commit_counts_only_once_its_commit_marker_follows() {
    for (commit, want) in [(true, 5), (false, 2)] {
        let mut r = consumed_run(6, CommitMode::AfterProcessing);
        r.processed(10, 0, 0, &at_own_offsets(0..6)).committed(11, 0, 0, &[(0, 2)], Ok(()));
        let plain = meta_batch(0, offset_commit("g1", &[(0, 2)]));
        let in_txn = Arc::new(LogBatch {
            producer_id: 9,
            transactional: true,
            timestamp: 0,
            ..(*meta_batch(1, offset_commit("g1", &[(0, 5)]))).clone()
        });
        let marker = Arc::new(LogBatch {
            producer_id: 9,
            transactional: true,
            timestamp: 0,
            ..(*meta_batch(2, MetaRecord::TxnMarker { commit, coordinator_epoch: 0 })).clone()
        });
        r.topic_partition("__consumer_offsets", 0, Some(1), &[1], vec![replica(1, true, vec![plain, in_txn, marker])]);
        assert_eq!(r.check().consumers["c1"].committed.get("orders/0"), Some(&want), "marker commit={commit}");
    }
}

// ---- processors ----

impl Run {
    /// Adds processor `name` (group `app`) reading `orders` and writing `shipments`: its outputs
    /// are written under the next producer index, its members' events use the next consumer
    /// index (read_committed for exactly_once_v2).
    fn processor(&mut self, name: &str, guarantee: ProcessingGuarantee) -> &mut Self {
        let h = &mut self.history;
        if h.record_base.is_empty() {
            let mut next = 0;
            for p in &self.scenario.producers {
                h.record_base.push(next);
                next += p.records;
            }
        }
        let producer = h.producers.len() as u32;
        h.producers.push(name.into());
        let consumer = h.consumers.len() as u32;
        let isolation = match guarantee {
            ProcessingGuarantee::ExactlyOnceV2 | ProcessingGuarantee::ExactlyOnce => IsolationLevel::ReadCommitted,
            ProcessingGuarantee::AtLeastOnce => IsolationLevel::ReadUncommitted,
        };
        h.consumers.push(ConsumerInfo {
            name: name.into(),
            group: "app".into(),
            topics: vec!["orders".into()],
            commit: CommitMode::AfterProcessing,
            isolation,
            processor: Some(h.processors.len() as u32),
            client: ClientKind::Java,
            auto_offset_store: true,
        });
        h.processors.push(ProcessorInfo {
            name: name.into(),
            group: "app".into(),
            input: "orders".into(),
            output: "shipments".into(),
            producer,
            consumer,
            guarantee,
        });
        self
    }

    /// Adds `shipments/0` whose only replica, broker 1, holds `log`.
    fn shipments(&mut self, log: Vec<Arc<LogBatch>>) -> &mut Self {
        self.topic_partition("shipments", 0, Some(1), &[1], vec![replica(1, true, log)])
    }

    /// Adds `__consumer_offsets/0` holding, per (producer id, offsets), a transactional offset
    /// commit of group `app` followed by its COMMIT marker.
    fn txn_offsets_log(&mut self, commits: &[(i64, &[(u32, u64)])]) -> &mut Self {
        let mut log = Vec::new();
        for &(pid, offsets) in commits {
            let base = log.len() as u64;
            log.push(Arc::new(LogBatch {
                producer_id: pid,
                transactional: true,
                timestamp: 0,
                ..(*meta_batch(base, offset_commit("app", offsets))).clone()
            }));
            log.push(Arc::new(LogBatch {
                producer_id: pid,
                transactional: true,
                timestamp: 0,
                ..(*meta_batch(base + 1, MetaRecord::TxnMarker { commit: true, coordinator_epoch: 0 })).clone()
            }));
        }
        self.topic_partition("__consumer_offsets", 0, Some(1), &[1], vec![replica(1, true, log)])
    }

    /// Member `k` of the processor (consumer index 0, producer index 1: the run's only consumer,
    /// after its one producer) polls and processes `ids` of p1 at their own offsets of orders/0,
    /// and its producer `instance` sends their outputs to shipments/0 (partition index 1).
    fn transform(&mut self, at: u64, k: u32, instance: u32, ids: std::ops::Range<u32>) -> &mut Self {
        let outputs: Vec<u32> = ids.clone().collect();
        self.polled(at, 0, k, &at_own_offsets(ids.clone())).processed(at + 1, 0, k, &at_own_offsets(ids)).sent(
            at + 1,
            1,
            instance,
            1,
            &outputs,
        )
    }
}

/// p1 wrote p1#0..3 to orders/0 at their own offsets; exactly-once processor s1 (consumer index
/// 0, producer index 1) reads them.
fn eos_run() -> Run {
    let mut r = Run::new(&["p1"], 4);
    let ids: Vec<u32> = (0..4).collect();
    r.sent(1, 0, 0, 0, &ids).acked(2, 0, 0, 0, &ids, 0, 1, 0).single(vec![batch(0, 0, 0, 0, &ids)]);
    r.processor("s1", ProcessingGuarantee::ExactlyOnceV2);
    r
}

#[test]
fn an_exactly_once_processor_with_one_output_per_input_keeps_its_promise_and_is_reported_once() {
    let mut r = eos_run();
    r.ev(5, EventKind::ConsumerStarted { consumer: 0, instance: 0 })
        .assigned(6, 0, 0, 1, &[0])
        .transform(10, 0, 0, 0..4)
        .acked(12, 1, 0, 1, &[0, 1, 2, 3], 0, 1, 0)
        .txn_ended(13, 1, 0, 0, true, &[0, 1, 2, 3], Ok(()))
        .shipments(vec![txn_batch(0, 1, 0, 7, &[0, 1, 2, 3]), marker(4, 7, true)])
        .txn_offsets_log(&[(7, &[(0, 4)])]);
    let v = r.check();
    assert_eq!(v.anomalies, Default::default());
    assert!(v.findings.is_empty(), "{:?}", v.findings);
    let s1 = &v.processors["s1"];
    assert_eq!((s1.inputs, s1.outputs, s1.distinct), (4, 4, 4));
    assert_eq!(s1.guarantee, "exactly_once_v2");
    assert_eq!(s1.committed.get("orders/0"), Some(&4));
    assert_eq!(v.semantics["s1"].delivery, "exactly-once");
    assert!(v.semantics["s1"].holds);
    assert!(!v.producers.contains_key("s1"), "a processor's outputs are not a producer's records");
    assert!(!v.consumers.contains_key("s1"), "a processor's members are not a consumer");
    assert_eq!(v.producers["p1"].acked, 4);
}

/// s1/0 commits the outputs of p1#0 and p1#1, is crashed, and s1/1 reprocesses p1#1..3 and
/// commits them too: p1#1's output stands twice.
fn eos_duplicate_run() -> Run {
    let mut r = eos_run();
    let k1 = 1 << 16;
    r.assigned(6, 0, 0, 1, &[0])
        .transform(10, 0, 0, 0..2)
        .txn_ended(13, 1, 0, 0, true, &[0, 1], Ok(()))
        .consumer_fault(14, FaultAction::Crash, 0, 0)
        .assigned(20, 0, 1, 2, &[0])
        .transform(21, 1, k1, 1..4)
        .txn_ended(24, 1, k1, 0, true, &[1, 2, 3], Ok(()))
        .shipments(vec![
            txn_batch(0, 1, 0, 7, &[0, 1]),
            marker(2, 7, true),
            txn_batch(3, 1, k1, 8, &[1, 2, 3]),
            marker(6, 8, true),
        ])
        .txn_offsets_log(&[(7, &[(0, 2)]), (8, &[(0, 4)])]);
    r
}

#[test]
fn an_input_with_two_committed_outputs_is_one_duplicate_processing_and_breaks_exactly_once() {
    let v = eos_duplicate_run().check();
    assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], 1, "p1#1's output stands at shipments/0 offsets 1 and 3");
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 0);
    assert_eq!((v.anomalies[Anomaly::Duplicated], v.anomalies[Anomaly::TornTransaction]), (0, 0));
    let s1 = &v.processors["s1"];
    assert_eq!((s1.inputs, s1.outputs, s1.distinct), (4, 5, 4));
    assert!(!v.semantics["s1"].holds);
    assert_eq!(v.semantics["s1"].broken_by, vec!["1 input record with two or more outputs".to_string()]);
    let f = v.findings.iter().find(|f| f.anomaly == Anomaly::DuplicateProcessing).unwrap();
    assert_eq!(f.subject, "p1#1");
    assert_eq!(
        f.explanation,
        "p1#1 (orders/0 offset 1): processor s1's output s1(p1#1) stands twice in the read_committed view of the \
         final logs, at shipments/0 offset 1 (written by s1/0.0, in a transaction committed by the marker at offset 2) and shipments/0 offset \
         3 (written by s1/1.0, in a transaction committed by the marker at offset 6); s1/0 polled it at 10 ms; \
         s1/0.0 sent its output to shipments/0 at 11 ms; s1/0.0's commitTransaction() of transaction 0 returned \
         success at 13 ms; s1/0 crashed at 14 ms; s1/1 was assigned orders/0 at generation 2 at 20 ms; s1/1 \
         polled it at 21 ms; s1/1.0 sent its output to shipments/0 at 22 ms; s1/1.0's commitTransaction() of \
         transaction 0 returned success at 24 ms; the group's final committed offset for orders/0 is 4, past it"
    );
}

#[test]
fn an_output_in_an_aborted_transaction_does_not_count() {
    // s1/0's transaction is aborted (it was fenced); s1/1 redoes the work and commits.
    let k1 = 1 << 16;
    let mut r = eos_run();
    r.transform(10, 0, 0, 0..4)
        .txn_ended(13, 1, 0, 0, false, &[0, 1, 2, 3], Err(KafkaError::ProducerFenced))
        .transform(20, 1, k1, 0..4)
        .txn_ended(23, 1, k1, 0, true, &[0, 1, 2, 3], Ok(()))
        .shipments(vec![
            txn_batch(0, 1, 0, 7, &[0, 1, 2, 3]),
            txn_batch(4, 1, k1, 8, &[0, 1, 2, 3]),
            marker(8, 7, false),
            marker(9, 8, true),
        ])
        .txn_offsets_log(&[(8, &[(0, 4)])]);
    let v = r.check();
    assert_eq!(
        (v.anomalies[Anomaly::DuplicateProcessing], v.anomalies[Anomaly::LostProcessing]),
        (0, 0),
        "each input has one committed output, and both members' Processed events do not count"
    );
    assert_eq!(v.processors["s1"].outputs, 4);
    assert!(v.semantics["s1"].holds);

    // Without the retry, the aborted outputs leave every input without one.
    let mut r = eos_run();
    r.transform(10, 0, 0, 0..4)
        .txn_ended(13, 1, 0, 0, false, &[0, 1, 2, 3], Ok(()))
        .shipments(vec![txn_batch(0, 1, 0, 7, &[0, 1, 2, 3]), marker(4, 7, false)]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 4);
    assert_eq!(v.processors["s1"].outputs, 0);
    let lost = findings(&v, "lost_processing");
    assert_eq!(
        lost[0],
        "p1#0 (orders/0 offset 0): no output of processor s1 stands in the read_committed view of the final logs; \
         s1/0 polled it at 10 ms; \
         s1/0.0 sent its output to shipments/0 at 11 ms; s1/0.0's abortTransaction() of transaction 0 returned \
         success at 13 ms; no commitTransaction() of a transaction holding its output returned success; its \
         output s1(p1#0) stands only outside that view: at shipments/0 offset 0 (written by s1/0.0, in \
         a transaction aborted by the marker at offset 4); the final offsets log holds no committed offset of \
         group app for orders/0"
    );
}

#[test]
fn an_input_with_no_output_is_one_lost_processing() {
    for guarantee in [ProcessingGuarantee::ExactlyOnceV2, ProcessingGuarantee::AtLeastOnce] {
        let mut r = Run::new(&["p1"], 4);
        let ids: Vec<u32> = (0..4).collect();
        r.single(vec![batch(0, 0, 0, 0, &ids)]).processor("s1", guarantee);
        r.transform(10, 0, 0, 0..4)
            .committed(12, 0, 0, &[(0, 4)], Ok(()))
            .shipments(vec![batch(0, 1, 0, 0, &[0, 1, 3])])
            .offsets_log(0, &[("app", &[(0, 4)])], None);
        let v = r.check();
        assert_eq!(v.anomalies[Anomaly::LostProcessing], 1, "{guarantee:?}: p1#2 has no output");
        assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], 0);
        assert!(!v.semantics["s1"].holds, "{guarantee:?}");
        assert_eq!(v.semantics["s1"].broken_by, vec!["1 input record with no output".to_string()]);
        let f = v.findings.iter().find(|f| f.anomaly == Anomaly::LostProcessing).unwrap();
        assert_eq!(f.subject, "p1#2");
        assert!(
            f.explanation.starts_with("p1#2 (orders/0 offset 2): no output of processor s1 stands in the"),
            "{}",
            f.explanation
        );
        assert!(f.explanation.contains("s1/0.0 sent its output to shipments/0 at 11 ms"), "{}", f.explanation);
        assert!(
            f.explanation.ends_with("the group's final committed offset for orders/0 is 4, past it"),
            "{}",
            f.explanation
        );
        if guarantee == ProcessingGuarantee::AtLeastOnce {
            assert!(
                f.explanation.contains("s1/0 committed offset 4 for orders/0 at 12 ms, passing it"),
                "{}",
                f.explanation
            );
        }
        let s1 = &v.processors["s1"];
        assert_eq!((s1.inputs, s1.outputs, s1.distinct), (4, 3, 3));
    }
}

#[test]
fn a_lost_inputs_story_tells_the_ack_of_its_output_and_what_befell_that_broker() {
    let mut r = Run::new(&["p1"], 1);
    r.single(vec![batch(0, 0, 0, 0, &[0])]).processor("s1", ProcessingGuarantee::AtLeastOnce);
    r.transform(10, 0, 0, 0..1)
        .acked(12, 1, 0, 1, &[0], 0, 1, 0)
        .committed(13, 0, 0, &[(0, 1)], Ok(()))
        .fault(14, FaultAction::PowerLoss, 1)
        .fault(15, FaultAction::Crash, 2) // another broker: not part of the story
        .leader_change(20, 1, Some(2), 1, true)
        .shipments(vec![])
        .offsets_log(0, &[("app", &[(0, 1)])], None);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 1);
    assert_eq!(v.anomalies[Anomaly::LostAcked], 0, "the output is judged by its processing");
    assert_eq!(
        findings(&v, "lost_processing")[0],
        "p1#0 (orders/0 offset 0): no output of processor s1 stands in the read_committed view of the final \
         logs; s1/0 polled it at 10 ms; s1/0.0 sent its output to shipments/0 at 11 ms; s1/0.0 saw its output \
         acked at shipments/0 offset 0 by broker 1 (epoch 0) at 12 ms; s1/0 committed offset 1 for orders/0 at \
         13 ms, passing it; broker 1 lost power at 14 ms; an unclean election made broker 2 leader at epoch 1 \
         (20 ms); the group's final committed offset for orders/0 is 1, past it"
    );
}

#[test]
fn an_input_whose_output_went_to_an_offline_partition_is_not_judged() {
    let mut r = Run::new(&["p1"], 2);
    r.single(vec![batch(0, 0, 0, 0, &[0, 1])]).processor("s1", ProcessingGuarantee::AtLeastOnce);
    r.transform(10, 0, 0, 0..1).sent(11, 1, 0, 2, &[1]);
    r.shipments(vec![batch(0, 1, 0, 0, &[0])]);
    r.topic_partition("shipments", 1, None, &[], vec![replica(2, false, vec![])]);
    assert_eq!(r.check().anomalies[Anomaly::LostProcessing], 0);
}

#[test]
fn an_at_least_once_duplicate_counts_but_keeps_the_at_least_once_promise() {
    let mut r = Run::new(&["p1"], 3);
    r.single(vec![batch(0, 0, 0, 0, &[0, 1, 2])]).processor("s1", ProcessingGuarantee::AtLeastOnce);
    r.transform(10, 0, 0, 0..2)
        .consumer_fault(13, FaultAction::Crash, 0, 0)
        .assigned(20, 0, 1, 2, &[0])
        .transform(21, 1, 1 << 16, 1..3)
        .committed(23, 0, 1, &[(0, 3)], Ok(()))
        .shipments(vec![batch(0, 1, 0, 0, &[0, 1]), batch(2, 1, 1 << 16, 0, &[1, 2])])
        .offsets_log(0, &[("app", &[(0, 3)])], None);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], 1);
    assert_eq!(v.anomalies[Anomaly::Duplicated], 0, "the processor's outputs are no producer's duplicates");
    assert_eq!(v.semantics["s1"].delivery, "at-least-once");
    assert!(v.semantics["s1"].holds);
    let dup = findings(&v, "duplicate_processing");
    assert!(dup[0].contains("s1/0 crashed at 13 ms; s1/1 was assigned orders/0 at generation 2 at 20 ms, the group having no committed offset for it; s1/1 polled it at 21 ms"), "{}", dup[0]);
    assert!(dup[0].contains("s1/1 committed offset 3 for orders/0 at 23 ms, passing it"), "{}", dup[0]);

    // The same run under exactly_once_v2 breaks its promise.
    r.history.processors[0].guarantee = ProcessingGuarantee::ExactlyOnceV2;
    let v = r.check();
    assert_eq!(v.semantics["s1"].delivery, "exactly-once");
    assert!(!v.semantics["s1"].holds);
}

#[test]
fn pseudo_producer_records_never_show_in_lost_acked_duplicated_or_reordered() {
    let mut r = Run::new(&["p1"], 4);
    let ids: Vec<u32> = (0..4).collect();
    r.single(vec![batch(0, 0, 0, 0, &ids)]).processor("s1", ProcessingGuarantee::AtLeastOnce);
    // s1/0.0 sends outputs 0..3 and sees them acked; the final log holds output 3 twice, output 2
    // before output 1, and no output 0.
    r.sent(10, 1, 0, 1, &[0, 1, 2, 3]).acked(11, 1, 0, 1, &[0, 1, 2, 3], 0, 1, 0);
    r.shipments(vec![batch(0, 1, 0, 0, &[3, 2, 1, 3])]);
    let v = r.check();
    assert_eq!(
        (v.anomalies[Anomaly::LostAcked], v.anomalies[Anomaly::Duplicated], v.anomalies[Anomaly::Reordered]),
        (0, 0, 0)
    );
    assert_eq!(
        (v.anomalies[Anomaly::LostProcessing], v.anomalies[Anomaly::DuplicateProcessing]),
        (1, 1),
        "judged as processing"
    );
    assert!(!v.producers.contains_key("s1"));
    assert_eq!(v.producers.len(), 1);
    assert!(v.semantics["p1"].holds);
}

#[test]
fn processor_outputs_are_named_after_their_inputs() {
    let mut r = Run::new(&["p1", "p2"], 4);
    r.processor("s1", ProcessingGuarantee::AtLeastOnce);
    assert_eq!(r.history.record_base, vec![0, 4]);
    assert_eq!(r.history.record_name(RecordId { producer: 2, index: 3 }), "s1(p1#3)");
    assert_eq!(r.history.record_name(RecordId { producer: 2, index: 5 }), "s1(p2#1)");
    assert_eq!(r.history.record_name(RecordId { producer: 1, index: 1 }), "p2#1");
    // In findings too: a downstream consumer reading the output topic reads a truncated output.
    r.single(vec![batch(0, 0, 0, 0, &[0, 1, 2, 3])]).single(vec![batch(0, 1, 0, 0, &[0, 1, 2, 3, 4])]);
    r.history.partitions[1].topic = "shipments".into();
    r.history.partitions[1].partition = 0;
    r.ev(
        30,
        EventKind::Polled {
            consumer: 0,
            instance: 0,
            records: vec![Delivery { partition: 1, offset: 5, record: RecordId { producer: 2, index: 3 } }].into(),
        },
    );
    let v = r.check();
    assert_eq!(findings(&v, "phantom_read").len(), 1);
    assert!(findings(&v, "phantom_read")[0].starts_with("s1(p1#3) read by s1/0 at shipments/0 offset 5"));
    assert_eq!(v.findings.iter().find(|f| f.anomaly == Anomaly::PhantomRead).unwrap().subject, "s1(p1#3)");
}

#[test]
fn a_processor_member_given_an_aborted_input_is_an_aborted_read() {
    let mut r = Run::transactional(&["p1"], 2);
    r.single(vec![txn_batch(0, 0, 0, 7, &[0, 1]), marker(2, 7, false)]);
    r.processor("s1", ProcessingGuarantee::ExactlyOnceV2);
    r.polled(10, 0, 0, &at_own_offsets(0..2)).shipments(vec![]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::AbortedRead], 2);
    assert!(findings(&v, "aborted_read")[0].starts_with("p1#0 read by s1/0 (read_committed)"));
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 0, "aborted inputs are owed nothing");
    assert_eq!(v.processors["s1"].inputs, 0);
}

#[test]
fn a_record_a_group_and_a_processor_both_lose_counts_once() {
    let mut r = Run::new(&["p1"], 2);
    r.single(vec![batch(0, 0, 0, 0, &[0, 1])]);
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing);
    r.processor("s1", ProcessingGuarantee::AtLeastOnce);
    r.processed(10, 0, 0, &at_own_offsets(0..1)).shipments(vec![batch(0, 1, 0, 0, &[0])]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 1, "p1#1 is lost by g1 and by s1: one record");
    assert!(!v.semantics["c1"].holds && !v.semantics["s1"].holds);
    assert_eq!(findings(&v, "lost_processing").len(), 1);
}

#[test]
fn the_report_has_a_processors_section_after_the_consumers() {
    let mut r = eos_duplicate_run();
    r.consumer("c1", "g1", &["shipments"], CommitMode::AfterProcessing);
    let rep = r.report();
    let line = to_json_line(&rep);
    let at = |k: &str| line.find(&format!("\"{k}\":")).unwrap_or_else(|| panic!("{k} in {line}"));
    assert!(at("consumers") < at("processors") && at("processors") < at("partitions"), "{line}");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        v["processors"],
        serde_json::json!({"s1": {"guarantee": "exactly_once_v2", "inputs": 4, "outputs": 5, "distinct": 4,
                                   "committed": {"orders/0": 4}}})
    );
    assert!(
        line.contains(
            r#""processors":{"s1":{"guarantee":"exactly_once_v2","inputs":4,"outputs":5,"distinct":4,"committed":{"orders/0":4}}}"#
        ),
        "keys in a fixed order: {line}"
    );
    assert_eq!(v["semantics"]["s1"], serde_json::json!({"delivery": "exactly-once", "holds": false}));
    assert!(v["consumers"].get("s1").is_none() && v["producers"].get("s1").is_none());
    assert_eq!(v["examples"]["duplicate_processing"].as_array().unwrap().len(), 1);
    let text = to_text(&rep);
    assert!(
        text.contains(
            "processors:\n  processor  group  guarantee        inputs  outputs  distinct  committed\n  \
             s1         app    exactly_once_v2       4        5         4  orders/0=4\n"
        ),
        "{text}"
    );
    assert!(text.contains("s1 promises exactly-once: broken: 1 input record with two or more outputs"), "{text}");
}

#[test]
#[ignore = "timing smoke test; run with --ignored --nocapture"]
fn judging_a_million_processed_records_is_linear() {
    let n: u32 = 1_000_000;
    let mut r = Run::new(&["p1"], n);
    let ids: Vec<u32> = (0..n).collect();
    r.single(vec![batch(0, 0, 0, 0, &ids)]);
    r.processor("s1", ProcessingGuarantee::AtLeastOnce).processor("s2", ProcessingGuarantee::ExactlyOnceV2);
    // s1 polls everything in polls of 500 and writes every output twice; s2 writes nothing.
    for b in 0..n / 500 {
        r.transform(b as u64, 0, 0, b * 500..b * 500 + 500);
    }
    r.shipments(vec![batch(0, 1, 0, 0, &ids), batch(n as u64, 1, 1 << 16, 0, &ids)]);
    let t = std::time::Instant::now();
    let v = r.check();
    eprintln!("checked {n} records processed by two processors in {:?}", t.elapsed());
    assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], n as u64);
    assert_eq!(v.anomalies[Anomaly::LostProcessing], n as u64);
    assert_eq!(v.processors["s1"].outputs, 2 * n as u64);
    assert!(!v.semantics["s2"].holds && v.semantics["s1"].holds);
}

/// Evidence of one producer's run: a batch acked on its second attempt, written once or twice.
fn retried_batch(idempotent: bool, copies: u64) -> Verdict {
    let mut r = Run::new(&["p1"], 2);
    r.scenario.producers[0].config.enable_idempotence = idempotent;
    r.sent(1, 0, 0, 0, &[0, 1]).acked_after(90, &[0, 1], 0, 2);
    r.single((0..copies).map(|c| batch(2 * c, 0, 0, 0, &[0, 1])).collect());
    r.check()
}

#[test]
fn a_retried_batch_of_an_idempotent_producer_written_once_is_evidence_of_deduplication() {
    let v = retried_batch(true, 1);
    assert_eq!(v.evidence.len(), 1, "{:?}", v.evidence);
    assert_eq!((v.evidence[0].kind, v.evidence[0].count), ("deduplicated_retries", 1));
    assert!(v.evidence[0].text.starts_with("1 retried batch acknowledged and written once"), "{}", v.evidence[0].text);
    assert!(retried_batch(true, 2).evidence.is_empty(), "written twice: a duplicate, no evidence");
    assert!(retried_batch(false, 1).evidence.is_empty(), "without idempotence nothing was deduplicated");
}

#[test]
fn a_refused_commit_of_a_member_whose_generation_passed_is_evidence_of_fencing() {
    let mut r = Run::new(&["p1"], 0);
    r.consumer("c1", "g", &["orders"], CommitMode::AfterProcessing).single(Vec::new());
    r.assigned(10, 0, 0, 1, &[0]).assigned(20, 0, 1, 2, &[0]);
    r.committed(30, 0, 0, &[(0, 5)], Err(KafkaError::IllegalGeneration));
    // Refused for other reasons: no evidence of fencing.
    r.committed(35, 0, 0, &[(0, 5)], Err(KafkaError::RequestTimedOut));
    r.committed(40, 0, 1, &[(0, 5)], Err(KafkaError::CoordinatorNotAvailable));
    let v = r.check();
    assert_eq!(v.evidence.len(), 1, "{:?}", v.evidence);
    assert_eq!((v.evidence[0].kind, v.evidence[0].count), ("stale_commits_refused", 1));
    assert_eq!(
        v.evidence[0].text,
        "1 offset commit of a stale member refused by the group coordinator (c1: generation 1 < 2)"
    );
}

// ---- evidence, against the checker's mutants (cargo-mutants over src/check, issue 15) ----

#[test]
fn a_read_committed_group_that_read_past_an_aborted_transaction_without_its_records_is_evidence_of_skipping() {
    let mut r = txn_consumed_run();
    r.history.events.retain(|e| !matches!(e.kind, EventKind::Polled { .. }));
    r.polled(10, 0, 0, &[(0, 3, 2)]).read_committed(0);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::AbortedRead], 0);
    let skipped: Vec<_> = v.evidence.iter().filter(|e| e.kind == "aborted_skipped").collect();
    assert_eq!(skipped.len(), 1, "{:?}", v.evidence);
    assert_eq!(skipped[0].count, 2, "p1#0 and p1#1, aborted at offsets 0 and 1, below offset 4");
    assert_eq!(skipped[0].text, "2 aborted records skipped by read_committed group g1 (c1)");
    // A successful commit past the aborted records counts as reading past them too.
    let mut r = txn_consumed_run();
    r.history.events.retain(|e| !matches!(e.kind, EventKind::Polled { .. }));
    r.committed(11, 0, 0, &[(0, 1)], Ok(())).read_committed(0);
    let v = r.check();
    let skipped: Vec<_> = v.evidence.iter().filter(|e| e.kind == "aborted_skipped").collect();
    assert_eq!(skipped.iter().map(|e| e.count).collect::<Vec<_>>(), [1], "only p1#0 is below offset 1");
}

#[test]
fn a_read_uncommitted_group_or_one_handed_an_aborted_record_shows_no_skipping() {
    let mut r = txn_consumed_run();
    r.history.events.retain(|e| !matches!(e.kind, EventKind::Polled { .. }));
    r.polled(10, 0, 0, &[(0, 3, 2)]);
    assert!(r.check().evidence.iter().all(|e| e.kind != "aborted_skipped"), "read_uncommitted skips nothing");
    let mut r = txn_consumed_run();
    r.read_committed(0);
    assert!(r.check().evidence.iter().all(|e| e.kind != "aborted_skipped"), "an aborted read speaks instead");
}

#[test]
fn a_fenced_instance_of_a_transactional_producer_is_evidence_of_fencing_and_other_errors_are_not() {
    let fenced = |error: KafkaError, transactional: bool| {
        let mut r = if transactional { Run::transactional(&["p1"], 2) } else { Run::new(&["p1"], 2) };
        r.single(Vec::new());
        r.failed(5, 0, 0, &[0], error, false);
        if transactional {
            r.txn_ended(6, 0, 1, 0, true, &[1], Err(KafkaError::InvalidProducerEpoch));
            // A commit that timed out is no fencing.
            r.txn_ended(7, 0, 2, 0, true, &[1], Err(KafkaError::RequestTimedOut));
        }
        r.check()
            .evidence
            .into_iter()
            .filter(|e| e.kind == "zombies_fenced")
            .map(|e| (e.count, e.text))
            .collect::<Vec<_>>()
    };
    let both = fenced(KafkaError::ProducerFenced, true);
    assert_eq!(
        both,
        [(2, "2 zombie producer instances fenced by a newer epoch of the same transactional.id (p1)".to_string())]
    );
    assert_eq!(fenced(KafkaError::NotEnoughReplicas, true).iter().map(|e| e.0).collect::<Vec<_>>(), [1]);
    assert!(fenced(KafkaError::ProducerFenced, false).is_empty(), "a producer without transactions is no zombie");
}

#[test]
fn a_committed_transactional_record_on_an_offline_partition_is_unavailable_and_says_why() {
    let mut r = Run::transactional(&["p1"], 1);
    r.sent_acked(1, 0, &[0], 0).txn_ended(3, 0, 0, 0, true, &[0], Ok(()));
    r.partition(None, 1, &[], vec![replica(1, false, vec![txn_batch(0, 0, 0, 7, &[0]), marker(1, 7, true)])]);
    let v = r.check();
    assert_eq!((v.anomalies[Anomaly::Unavailable], v.anomalies[Anomaly::LostAcked]), (1, 0));
    let un = findings(&v, "unavailable");
    assert!(
        un[0].starts_with("p1#0 was in transaction 0 (1 record), whose commitTransaction() returned success at 3 ms"),
        "{}",
        un[0]
    );
    assert!(un[0].contains("orders/0 has no leader at the end, so it is neither lost nor present"), "{}", un[0]);
}

/// A commit that returned before its batch's acknowledgement was recorded has no batch ack to
/// rest on; the record's own first ack still places it, on an offline partition here, so it is
/// unavailable, not lost.
#[test]
fn a_committed_record_whose_ack_came_after_the_commit_is_placed_by_that_ack() {
    let mut r = Run::transactional(&["p1"], 1);
    r.sent(1, 0, 0, 0, &[0]).txn_ended(3, 0, 0, 0, true, &[0], Ok(())).acked(4, 0, 0, 0, &[0], 0, 1, 0);
    r.partition(None, 1, &[], vec![replica(1, false, Vec::new())]);
    let v = r.check();
    assert_eq!((v.anomalies[Anomaly::Unavailable], v.anomalies[Anomaly::LostAcked]), (1, 0));
}

#[test]
fn a_record_polled_many_times_and_never_processed_tells_its_first_polls_and_how_many_more() {
    let mut r = consumed_run(3, CommitMode::AfterProcessing);
    r.assigned(5, 0, 0, 1, &[0]).processed(10, 0, 0, &at_own_offsets(0..2));
    for at in [20, 30, 40, 50, 60] {
        r.polled(at, 0, 0, &[(0, 2, 2)]);
    }
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 1);
    let lost = findings(&v, "lost_processing");
    assert!(lost[0].contains("c1/0 polled it at 40 ms; it was polled 2 more times;"), "{}", lost[0]);
    // Assigned but never polled: the story says no member polled it, not that none was assigned.
    let mut r = consumed_run(3, CommitMode::AfterProcessing);
    r.assigned(5, 0, 0, 1, &[0]).processed(10, 0, 0, &at_own_offsets(0..2));
    let v = r.check();
    let lost = findings(&v, "lost_processing");
    assert_eq!(
        lost[0],
        "p1#2 (orders/0 offset 2) never processed by group g1: no member of group g1 polled it; no commit of \
         group g1 passed it; the final offsets log holds no committed offset of the group for orders/0"
    );
}

#[test]
fn a_failed_commit_of_another_member_does_not_explain_a_duplicate() {
    let mut r = consumed_run(1, CommitMode::AfterProcessing);
    r.assigned(10, 0, 0, 1, &[0])
        .processed(12, 0, 0, &at_own_offsets(0..1))
        .committed(13, 0, 1, &[(0, 1)], Err(KafkaError::NetworkException))
        .processed(22, 0, 0, &at_own_offsets(0..1));
    let v = r.check();
    assert_eq!(
        findings(&v, "duplicate_processing")[0],
        "p1#0 (orders/0 offset 0) processed twice by group g1: by c1/0 at 12 ms, then by c1/0 at 22 ms"
    );
}

#[test]
fn a_records_story_tells_its_send_ack_and_every_replica_holding_it_and_skips_other_records() {
    let mut r = Run::new(&["p1"], 8);
    r.sent(1, 0, 0, 0, &[0, 1]).acked(2, 0, 0, 0, &[0, 1], 0, 1, 0);
    // Later records, far past p1#1: lists that run on over a stretch holding no told record.
    r.sent(3, 0, 0, 0, &[5, 6, 7]).acked(4, 0, 0, 0, &[5, 6, 7], 2, 1, 0);
    let log = vec![batch(0, 0, 0, 0, &[0, 1]), batch(2, 0, 0, 0, &[5, 6, 7])];
    let mut follower = replica(2, true, log.clone());
    follower.hw = 1;
    r.partition(Some(1), 0, &[1, 2], vec![replica(1, true, log), follower]);
    let v = r.check();
    let story = kafkasim::check::explain::explain(&r.history, &v.findings, RecordId { producer: 0, index: 1 });
    assert_eq!(
        story,
        [
            "p1#1:",
            "1 ms: p1/0 sent it to orders/0",
            "2 ms: p1/0 got its acknowledgement: orders/0 offset 1, from broker 1 (epoch 0)",
            "at the end: broker 1 holds it at orders/0 offset 1 (leader; in the read_committed view)",
            "at the end: broker 2 holds it at orders/0 offset 1",
        ]
    );
    let stories = kafkasim::check::explain::explain_all(
        &r.history,
        &v.findings,
        &[RecordId { producer: 0, index: 0 }, RecordId { producer: 0, index: 7 }],
    );
    assert_eq!(stories[1][1], "3 ms: p1/0 sent it to orders/0");
    assert_eq!(stories[1][2], "4 ms: p1/0 got its acknowledgement: orders/0 offset 4, from broker 1 (epoch 0)");
}

#[test]
fn two_transactional_producers_committing_into_one_partition_are_judged_each_on_its_own_commit() {
    let mut r = Run::transactional(&["p1", "p2"], 2);
    r.sent(1, 0, 0, 0, &[0]).acked(2, 0, 0, 0, &[0], 0, 1, 0).txn_ended(3, 0, 0, 0, true, &[0], Ok(()));
    r.sent(4, 1, 0, 0, &[0, 1]).acked(5, 1, 0, 0, &[0, 1], 2, 1, 0).txn_ended(6, 1, 0, 0, true, &[0, 1], Ok(()));
    r.sent(7, 0, 0, 0, &[1]).acked(8, 0, 0, 0, &[1], 5, 1, 0).txn_ended(9, 0, 0, 1, true, &[1], Ok(()));
    r.single(vec![txn_batch(0, 0, 0, 7, &[0]), marker(1, 7, true), txn_batch(2, 1, 0, 8, &[0, 1]), marker(4, 8, true)]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostAcked], 1, "only p1#1, committed at 9 ms, is missing");
    assert!(findings(&v, "lost_acked")[0].starts_with("p1#1 was in transaction 1 (1 record)"), "{:?}", v.findings);
    assert_eq!((v.producers["p1"].acked, v.producers["p2"].acked), (2, 2));
}

#[test]
fn a_processor_stopped_by_the_end_of_a_run_that_did_not_settle_owes_its_unreached_inputs_as_unsettled() {
    let mut r = eos_run();
    r.assigned(6, 0, 0, 1, &[0])
        .transform(10, 0, 0, 0..2)
        .acked(12, 1, 0, 1, &[0, 1], 0, 1, 0)
        .txn_ended(13, 1, 0, 0, true, &[0, 1], Ok(()))
        .shipments(vec![txn_batch(0, 1, 0, 7, &[0, 1]), marker(2, 7, true)])
        .txn_offsets_log(&[(7, &[(0, 2)])]);
    assert_eq!(r.check().anomalies[Anomaly::LostProcessing], 2, "settled: p1#2 and p1#3 are lost");
    r.history.end = kafkasim::record::RunEnd {
        settled: false,
        waiting: vec!["processor s1/0 is in a transaction".into()],
        reason: kafkasim::record::EndReason::DurationMs,
    };
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 0);
    assert_eq!(v.unsettled.get("s1"), Some(&2), "p1#2 and p1#3: the run stopped before s1 got there");
}

#[test]
fn a_read_committed_processor_owes_nothing_past_an_open_transaction_and_a_read_uncommitted_one_does() {
    let owed = |guarantee: ProcessingGuarantee| {
        let mut r = Run::new(&["p1", "p2"], 1);
        r.scenario.producers[0].config.transactional_id = Some("p1".into());
        r.sent(1, 0, 0, 0, &[0]).acked(2, 0, 0, 0, &[0], 0, 1, 0);
        r.sent(3, 1, 0, 0, &[0]).acked(4, 1, 0, 0, &[0], 1, 1, 0);
        r.single(vec![txn_batch(0, 0, 0, 7, &[0]), batch(1, 1, 0, 0, &[0])]);
        r.processor("s1", guarantee);
        r.check().anomalies[Anomaly::LostProcessing]
    };
    assert_eq!(owed(ProcessingGuarantee::ExactlyOnceV2), 0, "p2#0 at offset 1 is past the last stable offset 0");
    assert_eq!(owed(ProcessingGuarantee::AtLeastOnce), 1, "p2#0 is below the high watermark");
}

#[test]
fn a_processors_findings_are_capped_but_its_counts_stay_exact() {
    let n = (FINDINGS_CAP + 5) as u32;
    let mut r = Run::new(&["p1"], n);
    let ids: Vec<u32> = (0..n).collect();
    r.sent(1, 0, 0, 0, &ids).acked(2, 0, 0, 0, &ids, 0, 1, 0).single(vec![batch(0, 0, 0, 0, &ids)]);
    r.processor("s1", ProcessingGuarantee::AtLeastOnce);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostProcessing], n as u64);
    assert_eq!(findings(&v, "lost_processing").len(), FINDINGS_CAP);
}

#[test]
fn a_stuck_lso_counts_the_other_unfinished_transactions_below_the_high_watermark_and_no_others() {
    let mut r = Run::transactional(&["p1", "p2"], 2);
    let mut rep =
        replica(1, true, vec![txn_batch(0, 0, 0, 7, &[0]), txn_batch(1, 1, 0, 8, &[0]), txn_batch(2, 0, 1, 9, &[1])]);
    rep.hw = 2;
    r.partition(Some(1), 0, &[1], vec![rep]);
    let stuck = r.check().findings.into_iter().filter(|f| f.anomaly == Anomaly::StuckLso).collect::<Vec<_>>();
    assert_eq!(stuck.len(), 1);
    assert!(
        stuck[0].explanation.ends_with(
            "; 1 more transaction after it is unfinished too; read_committed consumers cannot read offsets 0 to 1"
        ),
        "producer id 8's transaction at offset 1 is below the high watermark 2, producer id 9's is not: {}",
        stuck[0].explanation
    );
}

#[test]
fn a_processor_input_polled_many_times_and_never_output_tells_its_first_polls_and_how_many_more() {
    let mut r = Run::new(&["p1"], 1);
    r.sent(1, 0, 0, 0, &[0]).acked(2, 0, 0, 0, &[0], 0, 1, 0).single(vec![batch(0, 0, 0, 0, &[0])]);
    r.processor("s1", ProcessingGuarantee::AtLeastOnce);
    for at in [10, 20, 30, 40, 50, 60] {
        r.polled(at, 0, 0, &[(0, 0, 0)]);
    }
    let v = r.check();
    let lost = findings(&v, "lost_processing");
    assert_eq!(lost.len(), 1);
    assert!(
        lost[0].contains(
            "; s1/0 polled it at 30 ms; s1/0 polled it at 40 ms; its members polled it 2 more times; no commit"
        ),
        "the first four polls are told, then how many more: {}",
        lost[0]
    );
}

#[test]
fn records_a_producer_still_had_unresolved_when_the_run_stopped_are_unsettled_and_no_others_are() {
    let mut r = consumed_run(3, CommitMode::AfterProcessing);
    r.processed(10, 0, 0, &at_own_offsets(0..3));
    r.sent(20, 0, 1, 0, &[0, 1]).failed(30, 0, 1, &[0, 1], KafkaError::UnresolvedAtEnd, true);
    r.sent(21, 0, 1, 0, &[2]).failed(31, 0, 1, &[2], KafkaError::UnresolvedAtEnd, true);
    let v = r.check();
    assert_eq!(v.unsettled.get("p1"), Some(&3), "three records in flight at the end");
    assert_eq!(v.unsettled.len(), 1, "c1 processed everything it owed: {:?}", v.unsettled);
}

#[test]
fn a_record_two_groups_each_processed_twice_and_read_twice_where_no_log_holds_it_counts_once_each_way() {
    let mut r = consumed_run(2, CommitMode::AfterProcessing);
    r.consumer("c2", "g2", &["orders"], CommitMode::AfterProcessing);
    for c in 0..2 {
        r.processed(10, c, 0, &at_own_offsets(0..2)).processed(20, c, 0, &at_own_offsets(0..1));
        // Both groups were handed p1#1 again at offset 5, past the log's end.
        r.polled(30, c, 0, &[(0, 5, 1)]);
    }
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], 1, "p1#0, by g1 and by g2");
    assert_eq!(v.anomalies[Anomaly::PhantomRead], 1, "p1#1 at offset 5, by c1 and by c2");
}

#[test]
fn a_lost_records_story_ties_a_crash_to_the_last_poll_before_it_only() {
    let mut r = consumed_run(3, CommitMode::AfterProcessing);
    r.assigned(5, 0, 0, 1, &[0]).processed(10, 0, 0, &at_own_offsets(0..2));
    r.polled(20, 0, 0, &[(0, 2, 2)]).polled(30, 0, 0, &[(0, 2, 2)]);
    r.consumer_fault(40, FaultAction::Crash, 0, 0);
    let v = r.check();
    let lost = findings(&v, "lost_processing");
    assert!(
        lost[0].starts_with(
            "p1#2 (orders/0 offset 2) never processed by group g1: c1/0 polled it at 20 ms; c1/0 polled it at 30 ms; \
             c1/0 crashed at 40 ms; no commit"
        ),
        "{}",
        lost[0]
    );
}

#[test]
fn a_transactional_records_story_tells_its_failed_send_and_its_transactions_end() {
    let mut r = Run::transactional(&["p1"], 2);
    r.sent(1, 0, 0, 0, &[0, 1]).failed(2, 0, 0, &[0, 1], KafkaError::RequestTimedOut, true);
    r.sent(3, 0, 0, 0, &[0, 1]).acked(4, 0, 0, 0, &[0, 1], 0, 1, 0).txn_ended(5, 0, 0, 0, true, &[0, 1], Ok(()));
    r.single(vec![txn_batch(0, 0, 0, 7, &[0, 1]), marker(2, 7, true)]);
    let v = r.check();
    let story = kafkasim::check::explain::explain(&r.history, &v.findings, RecordId { producer: 0, index: 1 });
    assert_eq!(story[2], "2 ms: p1/0's send to orders/0 failed with REQUEST_TIMED_OUT (maybe written)");
    assert_eq!(story[5], "5 ms: p1/0's transaction 0 holding it committed");
}

#[test]
fn a_record_processed_more_times_than_its_counter_holds_is_still_processed_and_duplicated_once() {
    let mut r = consumed_run(1, CommitMode::BeforeProcessing);
    // 128 times: one past what the counter's seven bits hold.
    for at in 0..128 {
        r.processed(10 + at, 0, 0, &at_own_offsets(0..1));
    }
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], 1);
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 0, "the counter saturates, it does not wrap");
    assert!(!v.semantics["c1"].holds, "at-most-once is broken by a record processed 128 times");
}

#[test]
fn a_restarted_instance_resending_records_out_of_order_is_judged_by_its_own_sends() {
    let mut r = Run::new(&["p1"], 2);
    // Instance 0 sent both and crashed unacknowledged; instance 1 resent p1#0, then p1#1, and the
    // log holds its p1#1 first.
    r.sent(1, 0, 0, 0, &[0, 1])
        .sent(10, 0, 1, 0, &[0])
        .sent(11, 0, 1, 0, &[1])
        .single(vec![batch(0, 0, 1, 0, &[1]), batch(1, 0, 1, 0, &[0])]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::Reordered], 1, "instance 1 sent p1#0 first; it stands after p1#1");
    assert!(
        findings(&v, "reordered")[0].starts_with("p1#0 stands at orders/0 offset 1, after p1#1 at offset 0"),
        "{:?}",
        v.findings
    );
}

/// A torn transaction's missing records standing in an aborted batch further along the log are
/// placed at their own offsets (the batch's base plus their position).
#[test]
fn a_torn_transactions_missing_record_is_placed_at_its_own_offset() {
    let mut r = Run::transactional(&["p1"], 3);
    r.sent_acked(1, 0, &[0, 1, 2], 0).txn_ended(5, 0, 0, 0, true, &[0, 1, 2], Ok(()));
    r.single(vec![
        txn_batch(0, 0, 0, 7, &[0]),
        marker(1, 7, true),
        txn_batch(2, 0, 0, 8, &[1, 2]),
        marker(4, 8, false),
    ]);
    let torn = findings(&r.check(), "torn_transaction").join("\n");
    assert!(torn.contains("p1#2 (at orders/0 offset 3, in a transaction aborted by the marker at offset 4)"), "{torn}");
}

/// 101 torn transactions: every one counts, and the findings stop at the cap.
#[test]
fn torn_transaction_findings_stop_at_the_cap() {
    let n = FINDINGS_CAP as u32 + 1;
    let mut r = Run::transactional(&["p1"], 2 * n);
    let all: Vec<u32> = (0..2 * n).collect();
    r.sent_acked(1, 0, &all, 0);
    for k in 0..n {
        r.txn_ended(5, 0, 0, k, true, &[2 * k, 2 * k + 1], Ok(()));
    }
    let evens: Vec<u32> = (0..n).map(|k| 2 * k).collect();
    r.single(vec![batch(0, 0, 0, 0, &evens)]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::TornTransaction], n as u64);
    assert_eq!(findings(&v, "torn_transaction").len(), FINDINGS_CAP);
}

#[test]
fn a_torn_transaction_names_its_first_missing_records_and_counts_the_rest() {
    let mut r = Run::transactional(&["p1"], 8);
    let ids: Vec<u32> = (0..8).collect();
    r.sent_acked(1, 0, &ids, 0).txn_ended(5, 0, 0, 0, true, &ids, Ok(()));
    r.single(vec![txn_batch(0, 0, 0, 7, &[0]), marker(1, 7, true)]);
    let torn = r.check().findings.into_iter().find(|f| f.anomaly == Anomaly::TornTransaction).expect("torn");
    assert!(
        torn.explanation.ends_with(
            "missing: p1#1 (in no final log), p1#2 (in no final log), p1#3 (in no final log), p1#4 (in no final \
             log), p1#5 (in no final log) and 2 more"
        ),
        "{}",
        torn.explanation
    );
}

/// p1 wrote `p1#0` to orders/0 (acknowledged, standing at offset 0), and processor `s1` has
/// written no output of it to an empty `shipments/0`: an input the processor lost.
fn lost_input_run(guarantee: ProcessingGuarantee) -> Run {
    let mut r = Run::new(&["p1"], 1);
    r.sent(1, 0, 0, 0, &[0]).acked(2, 0, 0, 0, &[0], 0, 1, 0).single(vec![batch(0, 0, 0, 0, &[0])]);
    r.processor("s1", guarantee).shipments(Vec::new());
    r
}

#[test]
fn a_lost_inputs_output_sent_many_times_tells_its_first_sends_and_how_many_more() {
    let mut r = lost_input_run(ProcessingGuarantee::AtLeastOnce);
    r.polled(10, 0, 0, &[(0, 0, 0)]);
    for at in 11..17 {
        r.sent(at, 1, 0, 1, &[0]);
    }
    let lost = findings(&r.check(), "lost_processing").join("\n");
    assert!(
        lost.contains("s1/0.0 sent its output to shipments/0 at 14 ms; its output was sent 2 more times"),
        "{lost}"
    );
}

/// A lost input whose output was acknowledged six times (and stands nowhere): the first four
/// acknowledgements are told, and none is kept past that.
#[test]
fn a_lost_inputs_output_acked_many_times_tells_four_acknowledgements() {
    let mut r = lost_input_run(ProcessingGuarantee::AtLeastOnce);
    r.polled(10, 0, 0, &[(0, 0, 0)]).sent(11, 1, 0, 1, &[0]);
    for at in 12..18 {
        r.acked(at, 1, 0, 1, &[0], at as i64, 1, 0);
    }
    let v = r.check();
    let lost = findings(&v, "lost_processing");
    assert_eq!(lost[0].matches("saw its output acked").count(), 4, "{}", lost[0]);
}

/// An input processed once whose output stands six times: the first four copies are named and
/// the other two counted.
#[test]
fn an_output_standing_six_times_names_four_copies_and_counts_two_more() {
    let mut r = Run::new(&["p1"], 1);
    r.sent(1, 0, 0, 0, &[0]).acked(2, 0, 0, 0, &[0], 0, 1, 0).single(vec![batch(0, 0, 0, 0, &[0])]);
    r.processor("s1", ProcessingGuarantee::AtLeastOnce);
    r.shipments((0..6).map(|o| batch(o, 1, 0, 0, &[0])).collect());
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], 1);
    let dup = findings(&v, "duplicate_processing");
    assert!(dup[0].contains(" stands 6 times in the read_committed view of the final logs, at "), "{}", dup[0]);
    assert!(dup[0].contains("offset 3 (written by s1/0.0, not in a transaction) and 2 more;"), "{}", dup[0]);
    assert!(!dup[0].contains("offset 4"), "{}", dup[0]);
}

/// A lost input whose output was in six transactions that ended (aborted): four are told, then
/// how many more.
#[test]
fn a_lost_inputs_output_in_many_transactions_tells_four_and_counts_the_rest() {
    let mut r = lost_input_run(ProcessingGuarantee::ExactlyOnceV2);
    r.polled(10, 0, 0, &[(0, 0, 0)]);
    for k in 0..6 {
        r.txn_ended(20 + k as u64, 1, 0, k, false, &[0], Ok(()));
    }
    let v = r.check();
    let lost = findings(&v, "lost_processing");
    assert!(lost[0].contains("; 2 more transactions holding it ended"), "{}", lost[0]);
}

/// A lost input whose output was acknowledged before five crashes of its broker: the story after
/// the acknowledgement tells eight steps and counts the rest.
#[test]
fn a_lost_inputs_output_acked_before_many_faults_counts_the_untold_ones() {
    let mut r = lost_input_run(ProcessingGuarantee::AtLeastOnce);
    r.polled(5, 0, 0, &[(0, 0, 0)]).sent(6, 1, 0, 1, &[0]).acked(7, 1, 0, 1, &[0], 0, 1, 0);
    for k in 0..5 {
        r.fault(10 + 10 * k, FaultAction::Crash, 1).healed(15 + 10 * k, 1);
    }
    let v = r.check();
    let lost = findings(&v, "lost_processing");
    assert!(lost[0].contains("; 2 more faults and leader changes followed"), "{}", lost[0]);
}

/// A lost input at the group's final committed offset itself: the commit does not pass it (the
/// committed offset is the next one to read), and its story does not say it does.
#[test]
fn a_lost_input_at_the_committed_offset_is_not_said_to_be_passed() {
    let mut r = lost_input_run(ProcessingGuarantee::AtLeastOnce);
    r.txn_offsets_log(&[(7, &[(0, 0)])]);
    let v = r.check();
    let lost = findings(&v, "lost_processing");
    assert!(lost[0].ends_with("; the group's final committed offset for orders/0 is 0"), "{}", lost[0]);
}

#[test]
fn a_records_story_tells_an_event_that_names_it_alone() {
    let mut r = Run::new(&["p1"], 2);
    r.sent(1, 0, 0, 0, &[1]).single(Vec::new());
    // p1#0 was acknowledged and lost: its finding is its story's, not p1#1's.
    r.sent(2, 0, 0, 0, &[0]).acked(3, 0, 0, 0, &[0], 0, 1, 0);
    let v = r.check();
    let story = kafkasim::check::explain::explain(&r.history, &v.findings, RecordId { producer: 0, index: 1 });
    assert_eq!(story, ["p1#1:", "1 ms: p1/0 sent it to orders/0", "at the end: no replica's log holds it"]);
    let story = kafkasim::check::explain::explain(&r.history, &v.findings, RecordId { producer: 0, index: 0 });
    assert!(story.last().is_some_and(|l| l.starts_with("lost_acked: p1#0 ")), "{story:?}");
}

/// A lost record's story tells the faults of the broker that acknowledged it, not another
/// broker's.
#[test]
fn a_lost_records_story_leaves_out_another_brokers_faults() {
    let mut r = Run::new(&["p1"], 1);
    r.sent(1, 0, 0, 0, &[0]).acked(2, 0, 0, 0, &[0], 0, 1, 0);
    r.fault(10, FaultAction::Crash, 2).healed(20, 2).fault(30, FaultAction::Crash, 1);
    r.partition(Some(3), 1, &[3], vec![replica(3, true, Vec::new())]);
    let v = r.check();
    let lost = findings(&v, "lost_acked");
    assert!(lost[0].contains("broker 1 "), "{}", lost[0]);
    assert!(!lost[0].contains("broker 2"), "{}", lost[0]);
}

/// A committed transactional record lost from the offset it was acknowledged at, where the
/// final log holds another record of the same producer (in an aborted transaction): the story
/// does not say the final log holds it there.
#[test]
fn a_lost_committed_record_is_not_said_to_stand_where_another_record_of_its_producer_does() {
    let mut r = Run::transactional(&["p1"], 2);
    r.sent_acked(1, 0, &[0], 0).txn_ended(3, 0, 0, 0, true, &[0], Ok(()));
    r.single(vec![txn_batch(0, 0, 0, 7, &[1]), marker(1, 7, false)]);
    let v = r.check();
    let lost = findings(&v, "lost_acked");
    assert!(!lost[0].contains("holds it at offset 0"), "{}", lost[0]);
}

// ---- record names and stories, against the checker's mutants ----

#[test]
fn a_record_name_is_read_against_the_producers_the_history_lists() {
    use kafkasim::check::explain::parse_record;
    let r = Run::new(&["p1", "p2"], 8);
    assert_eq!(parse_record(&r.history, "p2#5"), Ok(RecordId { producer: 1, index: 5 }));
    assert_eq!(parse_record(&r.history, "p1#3"), Ok(RecordId { producer: 0, index: 3 }));
    let e = parse_record(&r.history, "p3#1").unwrap_err();
    assert!(
        e.to_string().starts_with("no producer or processor writes records named `p3#...`; did you mean `p"),
        "{e}"
    );
}

#[test]
fn a_records_story_reads_send_lists_that_do_not_run_on() {
    // [0, 9, 3] and [0, 9, 4] are not runs (I, I+1, ...), though their ends are as far apart as
    // a run of their length, or one more: the shortcut that skips a run holding no told record
    // must read them.
    let mut r = Run::new(&["p1"], 12);
    r.sent(1, 0, 0, 0, &[0, 9, 3]).sent(2, 0, 0, 0, &[0, 9, 4]).single(vec![]);
    let v = r.check();
    let stories = kafkasim::check::explain::explain_all(&r.history, &v.findings, &[RecordId { producer: 0, index: 9 }]);
    assert_eq!(
        stories[0],
        [
            "p1#9:",
            "1 ms: p1/0 sent it to orders/0",
            "2 ms: p1/0 sent it to orders/0",
            "at the end: no replica's log holds it"
        ]
    );
}

#[test]
fn a_records_story_tells_retries_polls_processing_and_the_findings_that_name_it() {
    let mut r = Run::new(&["p1"], 12);
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing);
    r.sent(1, 0, 0, 0, &[10, 11])
        .acked_after(3, &[11], 0, 3)
        .acked(4, 0, 0, 0, &[10], 1, 1, 0)
        .polled(5, 0, 0, &[(0, 0, 11)])
        .processed(6, 0, 0, &[(0, 0, 11)])
        .single(vec![batch(0, 0, 0, 0, &[11]), batch(1, 0, 0, 0, &[10])]);
    let v = r.check();
    let ids = [RecordId { producer: 0, index: 11 }, RecordId { producer: 0, index: 1 }];
    let stories = kafkasim::check::explain::explain_all(&r.history, &v.findings, &ids);
    assert_eq!(
        stories[0][..6],
        [
            "p1#11:",
            "1 ms: p1/0 sent it to orders/0",
            "3 ms: p1/0 got its acknowledgement after 3 attempts: orders/0 offset 0, from broker 1 (epoch 0)",
            "5 ms: c1/0 polled it at orders/0 offset 0",
            "6 ms: c1/0 processed it at orders/0 offset 0",
            "at the end: broker 1 holds it at orders/0 offset 0 (leader; in the read_committed view)",
        ]
    );
    // p1#10 is the reordered one; its finding names p1#11, which stood before it.
    assert!(stories[0][6..].iter().any(|l| l.starts_with("reordered: p1#10 stands at orders/0 offset 1, after p1#11")));
    // p1#1 was never sent: no line of p1#10's or p1#11's findings is about it.
    assert_eq!(stories[1], ["p1#1:", "at the end: no replica's log holds it"]);
}

#[test]
fn only_batches_acked_after_a_retry_count_as_deduplicated_retries() {
    let mut r = Run::new(&["p1"], 6);
    r.scenario.producers[0].config.enable_idempotence = true;
    r.sent(1, 0, 0, 0, &[0, 1, 2, 3, 4, 5]);
    for (at, ids, offset, attempts) in [(10, [0, 1], 0, 3), (11, [2, 3], 2, 3), (12, [4, 5], 4, 1)] {
        r.acked_after(at, &ids, offset, attempts);
    }
    r.single(vec![batch(0, 0, 0, 0, &[0, 1, 2, 3, 4, 5])]);
    let v = r.check();
    assert_eq!(v.evidence.len(), 1, "{:?}", v.evidence);
    assert_eq!(v.evidence[0].count, 2, "the two batches acked on their third attempt, not the first-time one");
}

#[test]
fn a_read_committed_member_handed_the_last_record_of_an_aborted_transaction_shows_no_skipping() {
    let mut r = txn_consumed_run();
    r.history.events.retain(|e| !matches!(e.kind, EventKind::Polled { .. }));
    // Offset 1 is the last record of the aborted transaction at offsets 0 and 1.
    r.polled(10, 0, 0, &[(0, 1, 1)]).read_committed(0);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::AbortedRead], 1);
    assert!(v.evidence.iter().all(|e| e.kind != "aborted_skipped"), "{:?}", v.evidence);
}

#[test]
fn a_read_committed_group_with_no_aborted_transaction_behind_it_shows_no_skipping() {
    let mut r = consumed_run(4, CommitMode::AfterProcessing);
    r.read_committed(0);
    let v = r.check();
    assert!(v.evidence.iter().all(|e| e.kind != "aborted_skipped"), "{:?}", v.evidence);
}

#[test]
fn aborted_records_skipped_are_counted_where_the_aborted_transaction_stands() {
    // A committed transaction at offsets 0-1 (marker at 2), an aborted one at 3-5 (marker at 6).
    let mut r = Run::transactional(&["p1"], 5);
    r.sent_acked(1, 0, &[0, 1], 0)
        .txn_ended(3, 0, 0, 0, true, &[0, 1], Ok(()))
        .sent_acked(4, 0, &[2, 3, 4], 3)
        .txn_ended(6, 0, 0, 1, false, &[2, 3, 4], Ok(()))
        .single(vec![
            txn_batch(0, 0, 0, 7, &[0, 1]),
            marker(2, 7, true),
            txn_batch(3, 0, 0, 7, &[2, 3, 4]),
            marker(6, 7, false),
        ]);
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing).read_committed(0);
    r.polled(10, 0, 0, &[(0, 0, 0), (0, 1, 1)]).committed(11, 0, 0, &[(0, 7)], Ok(()));
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::AbortedRead], 0);
    let skipped: Vec<_> = v.evidence.iter().filter(|e| e.kind == "aborted_skipped").map(|e| e.count).collect();
    assert_eq!(skipped, [3], "{:?}", v.evidence);
}

#[test]
fn a_refused_commit_of_a_member_of_the_newest_generation_names_no_generations() {
    let mut r = Run::new(&["p1"], 0);
    r.consumer("c1", "g", &["orders"], CommitMode::AfterProcessing).single(Vec::new());
    r.assigned(10, 0, 0, 2, &[0]);
    r.committed(30, 0, 0, &[(0, 5)], Err(KafkaError::IllegalGeneration));
    let v = r.check();
    assert_eq!(v.evidence.len(), 1, "{:?}", v.evidence);
    assert_eq!(v.evidence[0].text, "1 offset commit of a stale member refused by the group coordinator (c1)");
}

#[test]
fn a_record_reordered_in_the_logs_of_two_instances_counts_once() {
    // Instance 0 sent 0 then 1 to orders/0; instance 1 resent both, in the same order, to orders/1.
    // Each log holds 1 before 0: p1#0 is reordered in both walks, one record.
    let mut r = Run::new(&["p1"], 2);
    r.scenario.topics[0].partitions = 2;
    r.sent(1, 0, 0, 0, &[0, 1]).sent(5, 0, 1, 1, &[0, 1]);
    r.partition(Some(1), 0, &[1], vec![replica(1, true, vec![batch(0, 0, 0, 0, &[1]), batch(1, 0, 0, 0, &[0])])]);
    r.partition(Some(1), 0, &[1], vec![replica(1, true, vec![batch(0, 0, 1, 0, &[1]), batch(1, 0, 1, 0, &[0])])]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::Reordered], 1, "one record, reordered twice");
    assert_eq!(findings(&v, "reordered").len(), 1);
}

/// A transactional producer's second instance resent records its first instance had sent: its
/// own send order (0 before 1) judges its log, which holds 1 before 0. A lookup of the second
/// instance's sends that found none would let the reordering pass.
#[test]
fn a_transactional_resend_by_another_instance_is_judged_by_that_instances_order() {
    let mut r = Run::transactional(&["p1"], 2);
    r.sent(1, 0, 0, 0, &[0, 1]).sent(5, 0, 1, 0, &[0]).sent(6, 0, 1, 0, &[1]);
    r.single(vec![batch(0, 0, 1, 0, &[1]), batch(1, 0, 1, 0, &[0])]);
    assert_eq!(r.check().anomalies[Anomaly::Reordered], 1);
}

#[test]
fn duplicate_findings_stop_at_the_cap_and_one_never_acknowledged_names_no_acknowledgement() {
    let n = (FINDINGS_CAP + 1) as u32;
    let mut r = Run::new(&["p1"], n);
    let all: Vec<u32> = (0..n).collect();
    r.sent(1, 0, 0, 0, &all).single(vec![batch(0, 0, 0, 0, &all), batch(n as u64, 0, 0, 0, &all)]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::Duplicated], n as u64);
    let dups = findings(&v, "duplicated");
    assert_eq!(dups.len(), FINDINGS_CAP);
    assert!(
        dups[0].ends_with(
            "likely cause: instance 0 retried a batch whose earlier attempt had already been written, and without \
             idempotence the broker cannot tell"
        ),
        "{}",
        dups[0]
    );
}

// ---- stories of network partitions, against the checker's mutants ----

fn cut(a: &[FaultNode], b: &[FaultNode]) -> FaultTarget {
    FaultTarget::Partition { a: a.to_vec(), b: b.to_vec() }
}

impl Run {
    fn partition_fault(&mut self, at: u64, target: &FaultTarget) -> &mut Self {
        self.ev(at, EventKind::Fault { action: FaultAction::Partition, target: target.clone(), broker: None })
    }

    fn partition_healed(&mut self, at: u64, target: &FaultTarget) -> &mut Self {
        self.ev(at, EventKind::Healed { end: Heal::Partition, target: target.clone(), broker: None })
    }
}

#[test]
fn a_lost_records_story_tells_the_network_partitions_that_cut_its_leader_off() {
    use FaultNode::{Broker, Controller};
    let (a, b) = (cut(&[Broker(1)], &[Broker(2)]), cut(&[Controller], &[Broker(1)]));
    let (later, elsewhere) = (cut(&[Broker(3)], &[Broker(1)]), cut(&[Broker(2)], &[Broker(3)]));
    let mut r = Run::new(&["p1"], 2);
    // In force when p1#0 is acknowledged at 10 ms: `a` (2 ms); `b` (4 ms) healed at 6 ms.
    r.sent(1, 0, 0, 0, &[0, 1])
        .partition_fault(2, &a)
        .partition_fault(4, &b)
        .partition_healed(6, &b)
        .partition_fault(7, &elsewhere)
        .acked(10, 0, 0, 0, &[0, 1], 0, 1, 0)
        .partition_healed(20, &a)
        .partition_fault(30, &later)
        .partition_healed(35, &elsewhere)
        .fault(36, FaultAction::Crash, 3)
        .leader_change(37, 1, Some(3), 1, false)
        .leader_change(40, 0, Some(2), 1, false)
        .partition_healed(50, &later);
    let old = vec![batch(0, 0, 0, 0, &[0, 1])];
    r.partition(Some(2), 1, &[2], vec![replica(1, true, old), replica(2, true, Vec::new())]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostAcked], 2);
    assert_eq!(
        findings(&v, "lost_acked")[0],
        "p1#0 acked at orders/0 offset 0 by broker 1 (epoch 0) at 10 ms; a partition cut [broker:1] off from \
         [broker:2] at 2 ms; the partition of broker 1 healed at 20 ms; a partition cut [broker:1] off from \
         [broker:3] at 30 ms; broker 2 became leader at epoch 1 (40 ms); the partition of broker 1 healed at 50 ms; \
         the final log ends before offset 0 (log end offset 0); broker 1's replica still holds it at offset 0 \
         (alive, not in the ISR)"
    );
}

#[test]
fn a_long_story_tells_eight_steps_and_counts_the_rest() {
    let mut r = Run::new(&["p1"], 1);
    r.sent(1, 0, 0, 0, &[0]).acked(2, 0, 0, 0, &[0], 0, 1, 0);
    for k in 0..5 {
        r.fault(10 + 10 * k, FaultAction::Crash, 1).healed(15 + 10 * k, 1);
    }
    r.partition(Some(2), 1, &[2], vec![replica(1, true, Vec::new()), replica(2, true, Vec::new())]);
    let v = r.check();
    let lost = findings(&v, "lost_acked");
    assert!(lost[0].contains("broker 1 came back at 45 ms; 2 more faults and leader changes followed"), "{}", lost[0]);
}

// ---- loss, against the checker's mutants ----

#[test]
fn unavailable_findings_stop_at_the_cap() {
    let n = (FINDINGS_CAP + 1) as u32;
    let mut r = Run::new(&["p1"], n);
    let all: Vec<u32> = (0..n).collect();
    r.sent(1, 0, 0, 0, &all).acked(5, 0, 0, 0, &all, 0, 1, 0);
    r.partition(None, 1, &[], vec![replica(1, false, vec![batch(0, 0, 0, 0, &all)])]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::Unavailable], n as u64);
    assert_eq!(findings(&v, "unavailable").len(), FINDINGS_CAP);
}

/// p1 (transactional) commits p1#2 and p1#3 at orders/0 offsets 0-1, then p1#0 and p1#1 at
/// offsets 3-4, which the final log of orders/0 holds in an aborted transaction; orders/1 holds a
/// copy of p1#1 in an aborted transaction and p2's committed p2#0. With `offline`, orders/0 is
/// offline and orders/1 lacks p2#0.
fn committed_then_aborted(offline: bool) -> Run {
    let mut r = Run::transactional(&["p1", "p2"], 4);
    r.scenario.topics[0].partitions = 2;
    r.sent_acked(1, 0, &[2, 3], 0)
        .txn_ended(3, 0, 0, 0, true, &[2, 3], Ok(()))
        .sent_acked(4, 0, &[0, 1], 3)
        .txn_ended(6, 0, 0, 1, true, &[0, 1], Ok(()))
        .sent(7, 1, 0, 1, &[0])
        .acked(8, 1, 0, 1, &[0], 2, 1, 0)
        .txn_ended(9, 1, 0, 0, true, &[0], Ok(()));
    let zero =
        vec![txn_batch(0, 0, 0, 7, &[2, 3]), marker(2, 7, true), txn_batch(3, 0, 0, 7, &[0, 1]), marker(5, 7, false)];
    let mut one =
        vec![txn_batch(0, 0, 0, 7, &[1]), marker(1, 7, false), txn_batch(2, 1, 0, 8, &[0]), marker(3, 8, true)];
    if offline {
        one.truncate(2);
    }
    if offline {
        r.partition(None, 0, &[], vec![replica(1, false, zero)]);
    } else {
        r.partition(Some(1), 0, &[1], vec![replica(1, true, zero)]);
    }
    r.partition(Some(1), 0, &[1], vec![replica(1, true, one)]);
    r
}

#[test]
fn a_committed_record_standing_in_an_aborted_transaction_is_lost_and_its_copies_elsewhere_are_named() {
    let v = committed_then_aborted(false).check();
    assert_eq!(v.anomalies[Anomaly::LostAcked], 2, "p1#0 and p1#1");
    let lost = findings(&v, "lost_acked");
    assert_eq!(
        lost[1],
        "p1#1 was in transaction 1 (2 records), whose commitTransaction() returned success at 6 ms; its batch was \
         acked at orders/0 offset 4 by broker 1 (epoch 0) at 5 ms; the final log holds it at offset 4, in a \
         transaction aborted by the marker at offset 5 that began at offset 3; a copy stands at orders/1 offset 0 in \
         a transaction aborted by the marker at offset 1"
    );
}

#[test]
fn committed_records_are_judged_on_the_partition_their_batch_was_acked_on() {
    // p1's four records sit on offline orders/0; p2#0, acked on orders/1, is missing there.
    let v = committed_then_aborted(true).check();
    assert_eq!((v.anomalies[Anomaly::LostAcked], v.anomalies[Anomaly::Unavailable]), (1, 4));
}

#[test]
fn a_lost_records_story_says_what_its_offset_holds_and_where_it_stands_instead() {
    // p1#0 acked at orders/0 offset 1, which now holds a record-less batch; p1#2 acked at orders/0
    // offset 2 stands at orders/1 offset 0 instead.
    let mut r = Run::new(&["p1"], 3);
    r.scenario.topics[0].partitions = 2;
    r.sent(1, 0, 0, 0, &[0]).acked(2, 0, 0, 0, &[0], 1, 1, 0).sent(3, 0, 0, 0, &[2]).acked(4, 0, 0, 0, &[2], 2, 1, 0);
    let zero = vec![batch(0, 0, 0, 0, &[1]), meta_batch(1, offset_commit("g", &[]))];
    r.partition(Some(1), 0, &[1], vec![replica(1, true, zero)]);
    r.partition(Some(1), 0, &[1], vec![replica(1, true, vec![batch(0, 0, 0, 0, &[2])])]);
    let v = r.check();
    let lost = findings(&v, "lost_acked");
    assert_eq!(lost.len(), 2);
    assert!(lost[0].ends_with("; the final log has no record at offset 1"), "{}", lost[0]);
    assert!(
        lost[1].ends_with(
            "; the final log ends before offset 2 (log end offset 2); it stands at orders/1 offset 0 instead"
        ),
        "{}",
        lost[1]
    );
}

// ---- reordering, phantom reads and processing, against the checker's mutants ----

/// p1 (without idempotence, with these configs) sent p1#0 before p1#1; the log holds p1#1 first.
fn reordered_with(max_in_flight: u32, retries: u32) -> String {
    let mut r = Run::new(&["p1"], 2);
    r.scenario.producers[0].config.max_in_flight = max_in_flight;
    r.scenario.producers[0].config.retries = retries;
    r.sent(1, 0, 0, 0, &[0]).sent(2, 0, 0, 0, &[1]).single(vec![batch(0, 0, 0, 0, &[1]), batch(1, 0, 0, 0, &[0])]);
    let v = r.check();
    findings(&v, "reordered")[0].to_string()
}

#[test]
fn a_reordering_is_blamed_on_the_config_that_allows_it_or_said_to_be_impossible() {
    let one_in_flight = reordered_with(1, 3);
    assert!(
        one_in_flight.ends_with("; this should not happen with max.in.flight.requests.per.connection=1"),
        "{one_in_flight}"
    );
    let no_retries = reordered_with(5, 0);
    assert!(no_retries.ends_with("; this should not happen with retries=0"), "{no_retries}");
    let both = reordered_with(5, 3);
    assert!(both.contains("likely cause: a batch was retried after a later batch had been appended"), "{both}");
}

#[test]
fn phantom_read_findings_stop_at_the_cap() {
    let n = (FINDINGS_CAP + 1) as u32;
    let mut r = consumed_run(1, CommitMode::AfterProcessing);
    let reads: Vec<(u32, u64, u32)> = (0..n).map(|k| (0, 10 + k as u64, 0)).collect();
    r.polled(20, 0, 0, &reads);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::PhantomRead], 1, "one record, read at many offsets where it never stood");
    let mut r = Run::new(&["p1"], n);
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing).single(Vec::new());
    let reads: Vec<(u32, u64, u32)> = (0..n).map(|k| (0, k as u64, k)).collect();
    r.polled(20, 0, 0, &reads);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::PhantomRead], n as u64);
    assert_eq!(findings(&v, "phantom_read").len(), FINDINGS_CAP);
}

#[test]
fn a_phantom_reads_story_names_the_leader_of_its_own_partition() {
    let mut r = Run::new(&["p1"], 1);
    r.scenario.topics[0].partitions = 2;
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing);
    r.leader_change(3, 0, Some(1), 0, false).leader_change(4, 1, Some(3), 7, false).polled(20, 0, 0, &[(0, 0, 0)]);
    r.partition(Some(1), 0, &[1], vec![replica(1, true, Vec::new())]);
    r.partition(Some(3), 7, &[3], vec![replica(3, true, Vec::new())]);
    let v = r.check();
    let e = findings(&v, "phantom_read")[0];
    assert!(e.starts_with("p1#0 read by c1/0 at orders/0 offset 0 at 20 ms (leader broker 1, epoch 0)"), "{e}");
}

#[test]
fn a_duplicate_processing_finding_names_the_other_groups_that_processed_the_record_twice() {
    let mut r = consumed_run(1, CommitMode::AfterProcessing);
    r.consumer("c2", "g2", &["orders"], CommitMode::AfterProcessing);
    r.processed(10, 0, 0, &[(0, 0, 0)]).processed(11, 0, 0, &[(0, 0, 0)]);
    r.processed(12, 1, 0, &[(0, 0, 0)]).processed(13, 1, 0, &[(0, 0, 0)]).processed(14, 1, 0, &[(0, 0, 0)]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], 1, "one record");
    let e = findings(&v, "duplicate_processing")[0];
    assert_eq!(
        e,
        "p1#0 (orders/0 offset 0) processed twice by group g1: by c1/0 at 10 ms, then by c1/0 at 11 ms; group g2 \
         processed it more than once too"
    );
}

#[test]
fn a_restarted_instance_reordering_its_resends_among_the_old_copies_is_reordered() {
    // Instance 0 wrote p1#0..2 at offsets 0-2; instance 1 resent p1#1 then p1#2 into the same
    // partition, and its copies stand 2 then 1: reordered in instance 1's own order.
    let mut r = Run::new(&["p1"], 3);
    r.sent(1, 0, 0, 0, &[0, 1, 2]).sent(5, 0, 1, 0, &[1, 2]).single(vec![
        batch(0, 0, 0, 0, &[0, 1, 2]),
        batch(3, 0, 1, 0, &[2]),
        batch(4, 0, 1, 0, &[1]),
    ]);
    let v = r.check();
    assert_eq!((v.anomalies[Anomaly::Reordered], v.anomalies[Anomaly::Duplicated]), (1, 2));
}

#[test]
fn a_lost_record_acked_at_an_offset_in_a_gap_of_the_final_log_is_told_so() {
    // The final log holds offsets 0-1 and 5-6 (a gap, as compaction leaves); p1#3 was acked at 3.
    let mut r = Run::new(&["p1"], 4);
    r.sent(1, 0, 0, 0, &[3]).acked(2, 0, 0, 0, &[3], 3, 1, 0);
    r.single(vec![batch(0, 0, 0, 0, &[0, 1]), batch(5, 0, 0, 0, &[2])]);
    let v = r.check();
    let lost = findings(&v, "lost_acked");
    assert!(lost[0].ends_with("; the final log has no record at offset 3"), "{}", lost[0]);
}

// ---- consumers' stories and promises, against the checker's mutants ----

#[test]
fn a_lost_records_story_counts_only_its_own_groups_commits_and_assignments() {
    // g1 (c1) was only ever assigned orders/1 and committed offset 0 of orders/0, which passes
    // nothing; g2 (c2) was assigned orders/0 and committed offset 3, past every record.
    let mut r = consumed_run(3, CommitMode::AfterProcessing);
    r.scenario.topics[0].partitions = 2;
    r.partition(Some(1), 0, &[1], vec![replica(1, true, Vec::new())]);
    r.consumer("c2", "g2", &["orders"], CommitMode::AfterProcessing);
    r.assigned(10, 0, 0, 1, &[1]).assigned(11, 1, 0, 1, &[0]);
    r.committed(20, 0, 0, &[(0, 0)], Ok(())).committed(21, 1, 0, &[(0, 3)], Ok(()));
    let v = r.check();
    let g1: Vec<&str> =
        findings(&v, "lost_processing").into_iter().filter(|e| e.contains("never processed by group g1")).collect();
    assert_eq!(g1.len(), 3, "{g1:?}");
    assert!(
        g1[0].contains(
            "no member of group g1 polled it (none was ever assigned orders/0); no commit of group g1 passed it"
        ),
        "{}",
        g1[0]
    );
}

#[test]
fn a_librdkafka_consumer_committing_after_processing_promises_at_least_once() {
    let mut r = commit_then_crash_run(CommitMode::AfterProcessing);
    r.history.consumers[0].client = ClientKind::Librdkafka;
    assert_eq!(r.check().semantics["c1"].delivery, "at-least-once");
    r.history.consumers[0].commit = CommitMode::Auto;
    assert_eq!(r.check().semantics["c1"].delivery, "none", "auto-commit of stored offsets promises nothing");
}

// ---- processors, against the checker's mutants ----

#[test]
fn a_processor_with_nothing_left_undone_reports_no_unsettled_inputs() {
    let mut r = eos_run();
    r.transform(10, 0, 0, 0..4)
        .acked(12, 1, 0, 1, &[0, 1, 2, 3], 0, 1, 0)
        .txn_ended(13, 1, 0, 0, true, &[0, 1, 2, 3], Ok(()))
        .shipments(vec![txn_batch(0, 1, 0, 7, &[0, 1, 2, 3]), marker(4, 7, true)])
        .txn_offsets_log(&[(7, &[(0, 4)])]);
    r.history.end = kafkasim::record::RunEnd {
        settled: false,
        waiting: vec!["a fault has not ended".into()],
        reason: kafkasim::record::EndReason::DurationMs,
    };
    let v = r.check();
    assert!(v.unsettled.is_empty(), "{:?}", v.unsettled);
}

#[test]
fn an_input_two_processors_both_lose_counts_once_and_its_finding_names_both() {
    let mut r = Run::new(&["p1"], 1);
    r.single(vec![batch(0, 0, 0, 0, &[0])]);
    r.processor("s1", ProcessingGuarantee::AtLeastOnce).processor("s2", ProcessingGuarantee::AtLeastOnce);
    r.shipments(Vec::new());
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 1);
    let lost = findings(&v, "lost_processing");
    assert_eq!(lost.len(), 1);
    assert_eq!(
        lost[0],
        "p1#0 (orders/0 offset 0): no output of processor s1 stands in the read_committed view of the final logs \
         (nor does one of processor s2); no member of processor s1 polled it; no member of processor s1 sent an \
         output for it; no commit of group app passed it; the final offsets log holds no committed offset of group \
         app for orders/0"
    );
}

/// An input standing twice in its topic (a producer's duplicate), both copies lost by one
/// processor: one lost input, whose finding names no other processor (the second copy is the
/// same processor's, not another one that lost it too).
#[test]
fn an_input_standing_twice_and_lost_by_one_processor_names_no_other_processor() {
    let mut r = Run::new(&["p1"], 1);
    r.single(vec![batch(0, 0, 0, 0, &[0]), batch(1, 0, 0, 0, &[0])]);
    r.processor("s1", ProcessingGuarantee::AtLeastOnce);
    r.shipments(Vec::new());
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostProcessing], 1);
    let lost = findings(&v, "lost_processing");
    assert!(
        lost[0].starts_with(
            "p1#0 (orders/0 offset 0): no output of processor s1 stands in the read_committed view of the final logs; "
        ),
        "{}",
        lost[0]
    );
}

#[test]
fn outputs_standing_twice_for_an_input_on_an_offline_partition_break_exactly_once() {
    let mut r = Run::new(&["p1"], 1);
    r.sent(1, 0, 0, 0, &[0]).acked(2, 0, 0, 0, &[0], 0, 1, 0);
    r.partition(None, 1, &[], vec![replica(1, false, vec![batch(0, 0, 0, 0, &[0])])]);
    r.processor("s1", ProcessingGuarantee::ExactlyOnceV2);
    r.shipments(vec![batch(0, 1, 0, 0, &[0]), batch(1, 1, 1, 0, &[0])]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], 1);
    assert_eq!(v.semantics["s1"].broken_by, vec!["1 input record with two or more outputs".to_string()]);
}

#[test]
fn a_lost_records_story_tells_what_ended_its_own_members_run_not_another_members() {
    // c1/0 polled p1#0 and p1#1 and committed past them before processing; c1/1 stopped on an
    // exception first, then c1/0 did.
    let mut r = consumed_run(2, CommitMode::BeforeProcessing);
    r.assigned(10, 0, 0, 1, &[0])
        .polled(20, 0, 0, &at_own_offsets(0..2))
        .committed(21, 0, 0, &[(0, 2)], Ok(()))
        .ev(22, EventKind::ConsumerFailed { consumer: 0, instance: 1, error: KafkaError::OffsetOutOfRange })
        .ev(23, EventKind::ConsumerFailed { consumer: 0, instance: 0, error: KafkaError::NoOffsetForPartition })
        .offsets_log(0, &[("g1", &[(0, 2)])], None);
    let v = r.check();
    let lost = findings(&v, "lost_processing");
    assert_eq!(
        lost[0],
        "p1#0 (orders/0 offset 0) never processed by group g1: c1/0 polled it at 20 ms; c1/0 committed offset 2 \
         for orders/0 at 21 ms, passing it; c1/0 failed with NO_OFFSET_FOR_PARTITION at 23 ms; the group's final \
         committed offset for orders/0 is 2"
    );
}

#[test]
fn a_duplicates_story_names_only_its_own_members_assignments() {
    // c1/0 processed p1#0 twice; in between, c1/1 (not c1/0) was assigned orders/0.
    let mut r = consumed_run(1, CommitMode::AfterProcessing);
    r.assigned(5, 0, 0, 1, &[0]).processed(10, 0, 0, &at_own_offsets(0..1)).assigned(11, 0, 1, 2, &[0]).processed(
        12,
        0,
        0,
        &at_own_offsets(0..1),
    );
    let v = r.check();
    assert_eq!(
        findings(&v, "duplicate_processing")[0],
        "p1#0 (orders/0 offset 0) processed twice by group g1: by c1/0 at 10 ms, then by c1/0 at 12 ms"
    );
}

#[test]
fn a_lost_inputs_story_tells_its_outputs_failed_send() {
    let mut r = Run::new(&["p1"], 1);
    r.single(vec![batch(0, 0, 0, 0, &[0])]).processor("s1", ProcessingGuarantee::AtLeastOnce);
    r.transform(10, 0, 0, 0..1)
        .ev(
            12,
            EventKind::Failed {
                producer: 1,
                instance: 0,
                partition: 1,
                records: recs(&[0]),
                error: KafkaError::RequestTimedOut,
                maybe_written: true,
            },
        )
        .shipments(vec![])
        .offsets_log(0, &[("app", &[(0, 1)])], None);
    let v = r.check();
    let lost = findings(&v, "lost_processing");
    assert!(
        lost[0].contains(
            "s1/0.0 sent its output to shipments/0 at 11 ms; s1/0.0's send of its output failed with \
             REQUEST_TIMED_OUT at 12 ms (maybe written)"
        ),
        "{}",
        lost[0]
    );
}

#[test]
fn an_output_standing_once_for_an_input_that_is_not_owed_is_no_duplicate() {
    // p1#0 sits on offline orders/0; its one output stands in shipments/0.
    let mut r = Run::new(&["p1"], 1);
    r.partition(None, 1, &[], vec![replica(1, false, vec![batch(0, 0, 0, 0, &[0])])]);
    r.processor("s1", ProcessingGuarantee::ExactlyOnceV2);
    r.shipments(vec![batch(0, 1, 0, 0, &[0])]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], 0);
    assert!(v.semantics["s1"].holds);
}

#[test]
fn reordered_findings_stop_at_the_cap() {
    // p1 sent p1#0..=101 in order; the log holds them in reverse: all but the first are reordered.
    let n = FINDINGS_CAP as u32 + 2;
    let mut r = Run::new(&["p1"], n);
    let sent: Vec<u32> = (0..n).collect();
    r.sent(1, 0, 0, 0, &sent).single((0..n).map(|k| batch(k as u64, 0, 0, 0, &[n - 1 - k])).collect());
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::Reordered], n as u64 - 1);
    assert_eq!(findings(&v, "reordered").len(), FINDINGS_CAP);
}

#[test]
fn lost_processing_findings_of_groups_and_processors_together_stop_at_the_cap() {
    // Group g1 loses p1#0..99 (it processed only p1#100); processor s1 output all of those and
    // loses p1#100: 101 records lost in all, 100 findings.
    let cap = FINDINGS_CAP as u32;
    let mut r = Run::new(&["p1"], cap + 1);
    let all: Vec<u32> = (0..=cap).collect();
    r.single(vec![batch(0, 0, 0, 0, &all)]);
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing);
    r.processor("s1", ProcessingGuarantee::AtLeastOnce);
    r.processed(10, 0, 0, &[(0, cap as u64, cap)]);
    r.shipments(vec![batch(0, 1, 0, 0, &all[..cap as usize])]);
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::LostProcessing], cap as u64 + 1);
    assert_eq!(findings(&v, "lost_processing").len(), FINDINGS_CAP);
}

#[test]
fn an_input_with_thirty_two_outputs_is_still_one_input_processed_more_than_once() {
    // A processor's per-input output count saturates at 31; the 32nd copy must not spill into
    // the flags beside it.
    let mut r = Run::new(&["p1"], 1);
    r.single(vec![batch(0, 0, 0, 0, &[0])]).processor("s1", ProcessingGuarantee::AtLeastOnce);
    r.shipments((0..32).map(|k| batch(k, 1, 0, 0, &[0])).collect());
    let v = r.check();
    assert_eq!(v.anomalies[Anomaly::DuplicateProcessing], 1);
    let s1 = &v.processors["s1"];
    assert_eq!((s1.inputs, s1.outputs, s1.distinct), (1, 32, 1));
}

#[test]
fn a_duplicate_processed_many_times_tells_four_and_counts_the_rest() {
    let mut r = consumed_run(1, CommitMode::AfterProcessing);
    for k in 0..6 {
        r.processed(10 + k, 0, 0, &at_own_offsets(0..1));
    }
    let v = r.check();
    let e = findings(&v, "duplicate_processing")[0];
    assert!(e.contains("then by c1/0 at 13 ms, and 2 more times"), "{e}");
}

#[test]
fn a_duplicate_processed_at_two_offsets_points_at_the_producers_duplicate() {
    // p1#0 stands twice in orders/0 (offsets 0 and 1); c1/0 processed both copies.
    let mut r = Run::new(&["p1"], 1);
    r.sent(1, 0, 0, 0, &[0]).single(vec![batch(0, 0, 0, 0, &[0]), batch(1, 0, 0, 0, &[0])]);
    r.consumer("c1", "g1", &["orders"], CommitMode::AfterProcessing);
    r.processed(10, 0, 0, &[(0, 0, 0)]).processed(11, 0, 0, &[(0, 1, 0)]);
    let v = r.check();
    let e = findings(&v, "duplicate_processing")[0];
    assert_eq!(
        e,
        "p1#0 (orders/0 offsets 0 and 1) processed twice by group g1: by c1/0 at 10 ms (offset 0), then by c1/0 at \
         11 ms (offset 1); the record stands 2 times in the final logs: the producer wrote it more than once (see \
         duplicated)"
    );
}
