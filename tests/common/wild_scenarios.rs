//! The wild scenario generator: valid scenarios of every shape (every kind of client, fault,
//! trigger, nemesis, service and expectation, names with quotes and non-ASCII), built from a
//! vector of random numbers. tests/scenario_writing.rs writes them as files and loads them back;
//! tests/fuzz.rs runs them through the model with every invariant checked.

#![allow(dead_code)]
use proptest::prelude::*;

use kafkasim::record::Anomaly;
use kafkasim::scenario::*;

const INT_MAX: u64 = i32::MAX as u64;

/// Draws from a fixed vector of random numbers; past its end every draw is 0, and 0 always means
/// the default or the simplest choice, so shrinking the vector shrinks the scenario.
struct Draw<'a> {
    raw: &'a [u64],
    at: usize,
}

impl Draw<'_> {
    fn next(&mut self) -> u64 {
        let v = self.raw.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        v
    }

    /// In `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        assert!(lo <= hi, "{lo}..={hi}");
        match (hi - lo).checked_add(1) {
            Some(n) => lo + self.next() % n,
            None => self.next(),
        }
    }

    fn coin(&mut self) -> bool {
        self.next() % 2 == 1
    }

    fn index(&mut self, len: usize) -> usize {
        self.range(0, len as u64 - 1) as usize
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.index(items.len())].clone()
    }

    /// `default` on a 0 draw, else `f`.
    fn maybe<T>(&mut self, default: T, f: impl FnOnce(&mut Self) -> T) -> T {
        if self.coin() {
            f(self)
        } else {
            default
        }
    }

    /// A non-empty subset of `items`, in their order.
    fn subset<T: Clone>(&mut self, items: &[T]) -> Vec<T> {
        let mask = self.range(1, (1 << items.len()) - 1);
        items.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, x)| x.clone()).collect()
    }

    /// Up to 3 characters a client name may hold, but no digit (so `p1` + suffix never equals
    /// `p10`...): quotes, backslashes, colons and non-ASCII test the escaping.
    fn client_suffix(&mut self) -> String {
        let chars = ['x', 'Y', '_', '-', '.', ':', '"', '\'', '\\', 'é', '🦀'];
        let n = self.range(0, 3);
        (0..n).map(|_| self.pick(&chars)).collect()
    }

    /// Up to 3 characters of a legal topic name, no digit.
    fn topic_suffix(&mut self) -> String {
        let chars = ['a', 'Z', '.', '_', '-'];
        let n = self.range(0, 3);
        (0..n).map(|_| self.pick(&chars)).collect()
    }

    /// A `session.timeout.ms` within the cluster's bounds (at least 2, so a heartbeat fits below
    /// it) and a heartbeat below it.
    fn session_and_heartbeat(&mut self, b: &BrokerConfig) -> (u64, u64) {
        let (min, max) = (b.group_min_session_timeout_ms.max(2), b.group_max_session_timeout_ms);
        let session = if (min..=max).contains(&45_000) && !self.coin() {
            45_000
        } else {
            self.range(min, max.min(min + 200_000))
        };
        let heartbeat = if 3_000 < session && !self.coin() { 3_000 } else { self.range(1, session - 1) };
        (session, heartbeat)
    }

    /// A `transaction.timeout.ms` the cluster accepts, `default` when it fits and the draw says so.
    fn txn_timeout(&mut self, default: u64, b: &BrokerConfig) -> u64 {
        let max = b.transaction_max_timeout_ms;
        if default <= max && !self.coin() {
            default
        } else {
            self.range(1, max)
        }
    }
}

fn broker_config(d: &mut Draw<'_>) -> BrokerConfig {
    let x = BrokerConfig::default();
    let mut c = BrokerConfig {
        min_insync_replicas: d.maybe(x.min_insync_replicas, |d| d.range(1, 4) as u32),
        unclean_leader_election_enable: d.coin(),
        replica_lag_time_max_ms: d.maybe(x.replica_lag_time_max_ms, |d| d.range(1, 60_000)),
        log_flush_interval_messages: d.maybe(x.log_flush_interval_messages, |d| d.range(1, 1_000)),
        broker_session_timeout_ms: d.maybe(x.broker_session_timeout_ms, |d| d.range(1, 20_000)),
        broker_heartbeat_interval_ms: d.maybe(x.broker_heartbeat_interval_ms, |d| d.range(1, 5_000)),
        replica_fetch_wait_max_ms: d.maybe(x.replica_fetch_wait_max_ms, |d| d.range(0, 30_000)),
        replica_fetch_backoff_ms: d.maybe(x.replica_fetch_backoff_ms, |d| d.range(0, 5_000)),
        offsets_topic_num_partitions: d.maybe(x.offsets_topic_num_partitions, |d| d.range(1, 1_000) as u32),
        offsets_topic_replication_factor: d.maybe(x.offsets_topic_replication_factor, |d| d.range(1, 32_767) as u32),
        offsets_commit_timeout_ms: d.maybe(x.offsets_commit_timeout_ms, |d| d.range(1, 20_000)),
        group_initial_rebalance_delay_ms: d.maybe(x.group_initial_rebalance_delay_ms, |d| d.range(0, 10_000)),
        group_min_session_timeout_ms: d.maybe(x.group_min_session_timeout_ms, |d| d.range(1, 10_000)),
        group_max_session_timeout_ms: d.maybe(x.group_max_session_timeout_ms, |d| d.range(10_000, 3_600_000)),
        transaction_state_log_num_partitions: d
            .maybe(x.transaction_state_log_num_partitions, |d| d.range(1, 1_000) as u32),
        transaction_state_log_replication_factor: d
            .maybe(x.transaction_state_log_replication_factor, |d| d.range(1, 5) as u32),
        transaction_state_log_min_isr: d.maybe(x.transaction_state_log_min_isr, |d| d.range(1, 5) as u32),
        transaction_abort_timed_out_transaction_cleanup_interval_ms: d
            .maybe(x.transaction_abort_timed_out_transaction_cleanup_interval_ms, |d| d.range(1, 60_000)),
        transaction_max_timeout_ms: d.maybe(x.transaction_max_timeout_ms, |d| d.range(1, 2_000_000)),
        zookeeper_session_timeout_ms: d.maybe(x.zookeeper_session_timeout_ms, |d| d.range(1, 60_000)),
        producer_id_expiration_ms: d.maybe(x.producer_id_expiration_ms, |d| d.range(1, 100_000_000)),
        producer_id_expiration_check_interval_ms: d
            .maybe(x.producer_id_expiration_check_interval_ms, |d| d.range(1, 1_000_000)),
        transactional_id_expiration_ms: d.maybe(x.transactional_id_expiration_ms, |d| d.range(1, 1_000_000_000)),
        transaction_remove_expired_transaction_cleanup_interval_ms: d
            .maybe(x.transaction_remove_expired_transaction_cleanup_interval_ms, |d| d.range(1, 4_000_000)),
        group_consumer_session_timeout_ms: d.maybe(x.group_consumer_session_timeout_ms, |d| d.range(10_000, 60_000)),
        group_consumer_heartbeat_interval_ms: d.maybe(x.group_consumer_heartbeat_interval_ms, |d| d.range(1, 9_999)),
    };
    // The fetch wait may not exceed the lag time.
    c.replica_fetch_wait_max_ms = c.replica_fetch_wait_max_ms.min(c.replica_lag_time_max_ms);
    c
}

fn producer(d: &mut Draw<'_>, i: usize, topics: &[TopicSpec], b: &BrokerConfig) -> ProducerSpec {
    let name = format!("p{i}{}", d.client_suffix());
    let topic = d.pick(topics).name;
    let mut p = ProducerSpec::new(&name, &topic, d.range(0, 40) as u32);
    p.keys = d.maybe(None, |d| Some(d.range(1, 20) as u32));
    p.interval_ms = d.maybe(1, |d| d.range(0, 100));
    p.start_ms = d.maybe(0, |d| d.range(0, 5_000));
    p.record_bytes = d.maybe(100, |d| d.range(1, 20_000));
    p.on_restart = d.pick(&[OnRestart::ResendUnacked, OnRestart::SkipUnacked]);
    // A librdkafka producer: its defaults, idempotence asked for or not, never transactional.
    let rdk = d.coin();
    if rdk {
        p = p.librdkafka();
    }
    let c = &mut p.config;
    match d.range(0, if rdk { 1 } else { 2 }) {
        // Idempotent by default (librdkafka: when asked for).
        0 => {
            c.enable_idempotence = true;
            c.retries = d.maybe(c.retries, |d| d.range(1, INT_MAX) as u32);
            c.max_in_flight = d.maybe(5, |d| d.range(1, 5) as u32);
        }
        // Not idempotent: any acks, retries 0 allowed, more than 5 in flight allowed.
        1 => {
            c.enable_idempotence = false;
            c.acks = d.pick(&[Acks::Zero, Acks::One, Acks::All]);
            c.retries = d.maybe(c.retries, |d| d.range(0, 10) as u32);
            c.max_in_flight = d.maybe(5, |d| d.range(1, 10) as u32);
        }
        // Transactional (idempotent, acks=all), possibly sharing an id with another producer.
        _ => {
            c.transactional_id = Some(d.pick(&[format!("tx-{i}"), format!("tx {i}"), "shared".to_string()]));
            c.retries = d.maybe(c.retries, |d| d.range(1, 10) as u32);
            c.max_in_flight = d.maybe(5, |d| d.range(1, 5) as u32);
            c.transaction_timeout_ms = d.txn_timeout(c.transaction_timeout_ms, b);
            p.transaction_records = d.maybe(10, |d| d.range(1, 20) as u32);
            p.abort_every = d.maybe(None, |d| Some(d.range(1, 5) as u32));
        }
    }
    let c = &mut p.config;
    c.linger_ms = d.maybe(c.linger_ms, |d| d.range(0, 1_000));
    c.batch_size = d.maybe(c.batch_size, |d| d.range(1, 100_000));
    c.retry_backoff_ms = d.maybe(c.retry_backoff_ms, |d| d.range(0, 1_000));
    c.retry_backoff_max_ms = d.maybe(c.retry_backoff_max_ms, |d| d.range(0, 10_000));
    c.request_timeout_ms = d.maybe(c.request_timeout_ms, |d| d.range(1, 200_000));
    // At least linger.ms + request.timeout.ms; left out, the loader raises the default to it.
    // librdkafka only wants message.timeout.ms above linger.ms.
    let floor = if rdk { c.linger_ms + 1 } else { (c.linger_ms + c.request_timeout_ms).min(INT_MAX) };
    c.delivery_timeout_ms = d.maybe(c.delivery_timeout_ms.max(floor), |d| d.range(floor, INT_MAX));
    p
}

fn consumer(d: &mut Draw<'_>, i: usize, topics: &[TopicSpec], b: &BrokerConfig) -> ConsumerSpec {
    let name = format!("c{i}{}", d.client_suffix());
    let group = d.pick(&["g0", "g1", "g 2", "g\"3"]);
    let mut c = ConsumerSpec::new(&name, group, "");
    c.topics = d.subset(topics).into_iter().map(|t| t.name).collect();
    c.commit =
        d.pick(&[CommitMode::Auto, CommitMode::BeforeProcessing, CommitMode::AfterProcessing, CommitMode::Async]);
    c.processing_ms = d.maybe(1, |d| d.range(0, 50));
    c.instances = d.maybe(1, |d| d.range(1, 4) as u32);
    c.poll_timeout_ms = d.maybe(100, |d| d.range(1, 1_000));
    let (session, heartbeat) = d.session_and_heartbeat(b);
    let x = ConsumerConfig::default();
    c.config = ConsumerConfig {
        enable_auto_commit: c.commit == CommitMode::Auto,
        auto_commit_interval_ms: d.maybe(x.auto_commit_interval_ms, |d| d.range(0, INT_MAX)),
        auto_offset_reset: d.pick(&[OffsetReset::Latest, OffsetReset::Earliest, OffsetReset::None]),
        isolation_level: d.pick(&[IsolationLevel::ReadUncommitted, IsolationLevel::ReadCommitted]),
        session_timeout_ms: session,
        heartbeat_interval_ms: heartbeat,
        max_poll_interval_ms: d.maybe(x.max_poll_interval_ms, |d| d.range(1, INT_MAX)),
        max_poll_records: d.maybe(x.max_poll_records, |d| d.range(1, 5_000) as u32),
        request_timeout_ms: d.maybe(x.request_timeout_ms, |d| d.range(1, 100_000)),
        default_api_timeout_ms: d.maybe(x.default_api_timeout_ms, |d| d.range(1, 100_000)),
        fetch_max_wait_ms: d.maybe(x.fetch_max_wait_ms, |d| d.range(0, 5_000)),
        retry_backoff_ms: d.maybe(x.retry_backoff_ms, |d| d.range(0, 1_000)),
        retry_backoff_max_ms: d.maybe(x.retry_backoff_max_ms, |d| d.range(0, 10_000)),
        // Unique per consumer: two of one group sharing a value are an error.
        group_instance_id: d.maybe(None, |_| Some(format!("app {i}\""))),
        // Every drawn release is 2.4 or later (KIP-429).
        assignment_strategy: d.pick(&[AssignmentStrategy::Range, AssignmentStrategy::CooperativeSticky]),
        // The KIP-848 protocol rules out most of the drawn keys; its own round trip is tested
        // in tests/consumer_protocol.rs.
        group_protocol: GroupProtocol::Classic,
        enable_auto_offset_store: true,
    };
    if d.coin() {
        c.client = ClientKind::Librdkafka;
        // Storing after processing is modelled with auto-commit only.
        c.config.enable_auto_offset_store = c.commit != CommitMode::Auto || d.coin();
    }
    c
}

/// Processors: outputs first (a declared topic other than the first, or a new name the loader
/// creates, legal or not as a `[[topic]]` name), then each input among the declared topics no
/// processor writes (the first topic always qualifies), so no chain forms.
fn processors(d: &mut Draw<'_>, topics: &[TopicSpec], b: &BrokerConfig) -> Vec<ProcessorSpec> {
    let n = d.range(0, 2) as usize;
    let outputs: Vec<String> = (0..n)
        .map(|i| {
            if topics.len() > 1 && d.coin() {
                topics[1 + d.index(topics.len() - 1)].name.clone()
            } else {
                d.pick(&[format!("out{i}"), format!("out put{i}")])
            }
        })
        .collect();
    let inputs: Vec<&TopicSpec> = topics.iter().filter(|t| !outputs.contains(&t.name)).collect();
    outputs
        .iter()
        .enumerate()
        .map(|(i, output)| {
            let name = format!("s{i}{}", d.client_suffix());
            let input = d.pick(&inputs).name.clone();
            let guarantee = d.pick(&[ProcessingGuarantee::AtLeastOnce, ProcessingGuarantee::ExactlyOnceV2]);
            let mut p = ProcessorSpec::new(&name, &format!("app{i}"), &input, output, guarantee);
            p.instances = d.maybe(1, |d| d.range(1, 3) as u32);
            p.processing_ms = d.maybe(0, |d| d.range(0, 50));
            p.poll_timeout_ms = d.maybe(100, |d| d.range(1, 1_000));
            let c = &mut p.config;
            // Either guarantee's default, written or not, must come back as it was.
            c.commit_interval_ms = d.maybe(c.commit_interval_ms, |d| {
                let any = d.range(0, 60_000);
                d.pick(&[30_000, 100, any])
            });
            if guarantee == ProcessingGuarantee::ExactlyOnceV2 {
                c.transaction_timeout_ms = d.txn_timeout(c.transaction_timeout_ms, b);
            }
            c.linger_ms = d.maybe(c.linger_ms, |d| d.range(0, 1_000));
            c.max_poll_records = d.maybe(c.max_poll_records, |d| d.range(1, 5_000) as u32);
            (c.session_timeout_ms, c.heartbeat_interval_ms) = d.session_and_heartbeat(b);
            c.max_poll_interval_ms = d.maybe(c.max_poll_interval_ms, |d| d.range(1, INT_MAX));
            c.request_timeout_ms = d.maybe(c.request_timeout_ms, |d| d.range(1, 100_000));
            p
        })
        .collect()
}

/// A target of any kind; kinds with nothing to name fall back to a broker.
fn target(d: &mut Draw<'_>, s: &Scenario) -> Target {
    let broker = Target::Broker(d.range(1, u64::from(s.cluster.brokers)) as u32);
    let instance = |d: &mut Draw<'_>, n: u32| d.maybe(None, |d| Some(d.range(0, u64::from(n) - 1) as u32));
    match d.range(0, 6) {
        1 => {
            let t = d.pick(&s.topics);
            Target::Leader { partition: d.range(0, u64::from(t.partitions) - 1) as u32, topic: t.name }
        }
        2 if !s.producers.is_empty() => Target::Producer(d.index(s.producers.len())),
        3 if !s.consumers.is_empty() => {
            let i = d.index(s.consumers.len());
            Target::Consumer { consumer: i, instance: instance(d, s.consumers[i].instances) }
        }
        4 if !s.processors.is_empty() => {
            let i = d.index(s.processors.len());
            Target::Processor { processor: i, instance: instance(d, s.processors[i].instances) }
        }
        5 if !s.consumers.is_empty() || !s.processors.is_empty() => {
            let groups: Vec<String> = s
                .consumers
                .iter()
                .map(|c| c.group.clone())
                .chain(s.processors.iter().map(|p| p.group.clone()))
                .collect();
            Target::GroupCoordinator(d.pick(&groups))
        }
        6 => {
            let ids: Vec<String> = s
                .producers
                .iter()
                .filter_map(|p| p.config.transactional_id.clone())
                .chain(
                    s.processors
                        .iter()
                        .filter(|p| p.exactly_once())
                        .flat_map(|p| (0..p.instances).map(|k| p.transactional_id(k))),
                )
                .collect();
            if ids.is_empty() {
                broker
            } else {
                Target::TxnCoordinator(d.pick(&ids))
            }
        }
        _ => broker,
    }
}

/// A trigger of any kind, only with events its client has; kinds with nothing to name fall back
/// to `at_ms`.
fn trigger(d: &mut Draw<'_>, s: &Scenario) -> Trigger {
    let at_ms = Trigger::AtMs(d.range(0, 100_000));
    match d.range(0, 2) {
        1 => {
            let with_records: Vec<usize> = (0..s.producers.len()).filter(|&i| s.producers[i].records > 0).collect();
            if with_records.is_empty() {
                return at_ms;
            }
            let p = d.pick(&with_records);
            let topic = &s.producers[p].topic;
            let read =
                s.consumers.iter().any(|c| c.topics.contains(topic)) || s.processors.iter().any(|q| &q.input == topic);
            let mut events = vec![RecordEvent::Sent, RecordEvent::Appended, RecordEvent::Acked, RecordEvent::Committed];
            if read {
                events.push(RecordEvent::Processed);
            }
            Trigger::Record {
                producer: p,
                index: d.range(0, u64::from(s.producers[p].records) - 1) as u32,
                event: d.pick(&events),
            }
        }
        2 => {
            let mut options: Vec<(ClientRef, Vec<ClientEvent>)> = Vec::new();
            for (i, p) in s.producers.iter().enumerate() {
                let mut events = vec![ClientEvent::Acked];
                if p.config.transactional_id.is_some() {
                    events.extend([ClientEvent::TxnCommitted, ClientEvent::TxnAborted]);
                }
                options.push((ClientRef::Producer(i), events));
            }
            let read = [ClientEvent::Polled, ClientEvent::Processed, ClientEvent::Committed];
            for i in 0..s.consumers.len() {
                options.push((ClientRef::Consumer(i), read.to_vec()));
            }
            for (i, p) in s.processors.iter().enumerate() {
                let mut events = read.to_vec();
                if p.exactly_once() {
                    events.extend([ClientEvent::TxnCommitted, ClientEvent::TxnAborted, ClientEvent::OffsetsSent]);
                }
                options.push((ClientRef::Processor(i), events));
            }
            if options.is_empty() {
                return at_ms;
            }
            let (client, events) = d.pick(&options);
            Trigger::Client { client, event: d.pick(&events), n: d.range(1, 50) }
        }
        _ => at_ms,
    }
}

/// Whether targets `a` and `b` name a node in common whatever the cluster does (validate refuses
/// such a pair on the two sides of a partition).
fn overlap(a: &Target, b: &Target) -> bool {
    match (a, b) {
        (Target::Consumer { consumer: x, instance: i }, Target::Consumer { consumer: y, instance: k })
        | (Target::Processor { processor: x, instance: i }, Target::Processor { processor: y, instance: k }) => {
            x == y && (i.is_none() || k.is_none() || i == k)
        }
        _ => a == b,
    }
}

/// A partition's two sides: the controller on one, a target on the other, then up to three more
/// targets each on a side where it names no node of the other side.
fn sides(d: &mut Draw<'_>, s: &Scenario) -> Target {
    let mut sides = [Vec::new(), Vec::new()];
    let c = d.index(2);
    sides[c].push(Target::Controller);
    sides[1 - c].push(target(d, s));
    for _ in 0..d.range(0, 3) {
        let t = target(d, s);
        let k = d.index(2);
        if !sides[1 - k].iter().any(|o| overlap(o, &t)) {
            sides[k].push(t);
        }
    }
    let [between, and] = sides;
    Target::Sides { between, and }
}

fn fault(d: &mut Draw<'_>, s: &Scenario) -> FaultSpec {
    if d.range(0, 5) == 0 {
        return FaultSpec {
            trigger: trigger(d, s),
            action: FaultAction::Partition,
            target: sides(d, s),
            restart_after_ms: None,
            duration_ms: Some(d.range(1, 10_000)),
            pin: d.maybe(false, |_| true),
        };
    }
    let target = target(d, s);
    let client = matches!(target, Target::Producer(_) | Target::Consumer { .. } | Target::Processor { .. });
    let action = if client {
        d.pick(&[FaultAction::Crash, FaultAction::Isolate, FaultAction::Pause])
    } else {
        d.pick(&[FaultAction::Crash, FaultAction::PowerLoss, FaultAction::Isolate, FaultAction::Pause])
    };
    let lasting = matches!(action, FaultAction::Isolate | FaultAction::Pause);
    FaultSpec {
        trigger: trigger(d, s),
        action,
        target,
        restart_after_ms: if lasting { None } else { d.maybe(None, |d| Some(d.range(0, 10_000))) },
        duration_ms: lasting.then(|| d.range(1, 10_000)),
        pin: d.maybe(false, |_| true),
    }
}

fn nemesis(d: &mut Draw<'_>, s: &Scenario) -> NemesisSpec {
    let x = NemesisSpec::default();
    let pair = |d: &mut Draw<'_>, min: u64| {
        let a = d.range(min, 5_000);
        (a, a + d.range(0, 5_000))
    };
    let mut classes = vec![TargetClass::Brokers, TargetClass::Producers, TargetClass::Consumers];
    if !s.processors.is_empty() {
        classes.push(TargetClass::Processors);
    }
    let actions = d.maybe(x.actions.clone(), |d| {
        d.subset(&[FaultAction::Crash, FaultAction::PowerLoss, FaultAction::Isolate, FaultAction::Pause])
    });
    let mut targets = d.maybe(x.targets.clone(), |d| d.subset(&classes));
    // Power loss needs brokers to hit.
    if actions.contains(&FaultAction::PowerLoss) && !targets.contains(&TargetClass::Brokers) {
        targets.push(TargetClass::Brokers);
    }
    let start_ms = d.maybe(0, |d| d.range(0, 10_000));
    let mut n = NemesisSpec {
        actions,
        targets,
        interval_ms: d.maybe(x.interval_ms, |d| pair(d, 1)),
        start_ms,
        stop_ms: d.maybe(u64::MAX, |d| d.range(start_ms, start_ms + 100_000)),
        restart_after_ms: d.maybe(x.restart_after_ms, |d| pair(d, 0)),
        duration_ms: d.maybe(x.duration_ms, |d| pair(d, 1)),
        safe_power_loss: d.coin(),
    };
    // The loader refuses a nemesis that may draw more than a million faults (one every least
    // `interval_ms` from `start_ms` to the end): a long run's least interval is raised to fit.
    let least = n.stop_ms.min(s.duration_ms).saturating_sub(start_ms) / 1_000_000 + 1;
    n.interval_ms = (n.interval_ms.0.max(least), n.interval_ms.1.max(least));
    n
}

/// Some anomalies, each once, in a drawn order, with bounds of every form.
fn expectations(d: &mut Draw<'_>) -> Vec<Expectation> {
    let mut names: Vec<Anomaly> = Anomaly::ALL.to_vec();
    let rotate = d.index(names.len());
    names.rotate_left(rotate);
    let chosen = if d.coin() { d.subset(&names[..5]) } else { Vec::new() };
    chosen
        .into_iter()
        .map(|anomaly| {
            let n = if d.range(0, 9) == 9 { u64::MAX - d.range(0, 2) } else { d.range(0, 10) };
            let bound = match d.range(0, 4) {
                0 => Bound::Eq(n),
                1 => Bound::Gt(n),
                2 => Bound::Ge(n),
                3 => Bound::Le(n),
                _ => Bound::Lt(n.max(1)),
            };
            Expectation { anomaly, bound }
        })
        .collect()
}

/// A valid scenario: every reference resolves, every rule of the loader holds.
fn build(name: String, description: Option<String>, raw: &[u64]) -> Scenario {
    let d = &mut Draw { raw, at: 0 };
    let mut s = Scenario { name, description, ..Scenario::default() };
    s.seed = d.maybe(1, |d| d.range(0, i64::MAX as u64));
    s.duration_ms = d.maybe(120_000, |d| d.range(1, 10_000_000));
    s.cluster.brokers = d.maybe(3, |d| d.range(1, 5) as u32);
    s.cluster.config = broker_config(d);
    // Releases whose clients have everything the draw uses (idempotence, exactly_once_v2), each
    // in a metadata mode it had.
    let versions = ["2.6", "2.8", "3.5", "3.6", "4.0", "4.1"].map(|v| KafkaVersion::parse(v).unwrap());
    s.cluster.kafka_version = d.maybe(KafkaVersion::NEWEST, |d| d.pick(&versions));
    let v = s.cluster.kafka_version;
    if !v.producer_id_expiration_config() {
        // KIP-854's keys arrived in 3.4.
        let x = BrokerConfig::default();
        s.cluster.config.producer_id_expiration_ms = x.producer_id_expiration_ms;
        s.cluster.config.producer_id_expiration_check_interval_ms = x.producer_id_expiration_check_interval_ms;
    }
    s.cluster.metadata = d.maybe(v.default_metadata(), |d| {
        let m = d.pick(&[MetadataMode::ZooKeeper, MetadataMode::KRaft]);
        if v.supports(m) {
            m
        } else {
            v.default_metadata()
        }
    });
    s.network.latency_ms = d.maybe((1, 5), |d| {
        let a = d.range(0, 20);
        (a, a + d.range(0, 20))
    });
    let brokers = u64::from(s.cluster.brokers);
    let topics: Vec<TopicSpec> = (0..d.range(1, 4))
        .map(|i| {
            let mut t = TopicSpec::new(&format!("t{i}{}", d.topic_suffix()), d.range(1, 4) as u32, 1);
            t.replication_factor = d.maybe(brokers.min(3), |d| d.range(1, brokers)) as u32;
            t.min_insync_replicas = d.maybe(None, |d| Some(d.range(1, 4) as u32));
            t.unclean_leader_election_enable = d.maybe(None, |d| Some(d.coin()));
            t.flush_messages = d.maybe(None, |d| Some(d.range(1, 1_000)));
            t
        })
        .collect();
    let b = s.cluster.config.clone();
    s.producers = (0..d.range(0, 3) as usize).map(|i| producer(d, i, &topics, &b)).collect();
    s.consumers = (0..d.range(0, 3) as usize).map(|i| consumer(d, i, &topics, &b)).collect();
    s.processors = processors(d, &topics, &b);
    // As the loader does: an undeclared output becomes a topic of 1 partition, RF 1.
    s.topics = topics;
    for p in &s.processors {
        if !s.topics.iter().any(|t| t.name == p.output) {
            s.topics.push(TopicSpec::new(&p.output, 1, 1));
        }
    }
    s.faults = (0..d.range(0, 6)).map(|_| fault(d, &s)).collect();
    s.nemesis = d.maybe(None, |d| Some(nemesis(d, &s)));
    s.expect = expectations(d);
    // Drawn last, so the draws above (and the scenarios they shrink to) stay as they were.
    services(d, &mut s);
    s
}

/// Maybe a `[[service]]` owning some of the tables (one instance when it owns a producer; the
/// consumer tables it owns run as many instances as it does), and maybe a fault on it.
fn services(d: &mut Draw<'_>, s: &mut Scenario) {
    if !d.coin() || (s.producers.is_empty() && s.consumers.is_empty()) {
        return;
    }
    let mut svc = ServiceSpec::new(&format!("svc{}", d.client_suffix()));
    let producers: Vec<String> = s.producers.iter().map(|p| p.name.clone()).collect();
    if !producers.is_empty() && d.coin() {
        svc.producers = d.subset(&producers);
    }
    svc.instances = if svc.producers.is_empty() { d.range(1, 3) as u32 } else { 1 };
    let consumers: Vec<String> =
        s.consumers.iter().filter(|c| c.instances == svc.instances).map(|c| c.name.clone()).collect();
    if !consumers.is_empty() && d.coin() {
        svc.consumers = d.subset(&consumers);
    }
    if svc.producers.is_empty() && svc.consumers.is_empty() {
        return;
    }
    let instances = svc.instances;
    s.services.push(svc);
    if d.coin() {
        let instance = d.maybe(None, |d| Some(d.range(0, u64::from(instances) - 1) as u32));
        let pause = d.coin();
        s.faults.push(FaultSpec {
            trigger: Trigger::AtMs(d.range(0, 10_000)),
            action: if pause { FaultAction::Pause } else { FaultAction::Crash },
            target: Target::Service { service: 0, instance },
            restart_after_ms: if pause { None } else { d.maybe(None, |d| Some(d.range(0, 10_000))) },
            duration_ms: pause.then(|| d.range(1, 10_000)),
            pin: false,
        });
    }
}

/// A valid scenario of any shape (see [`build`]); shrinking shrinks the vector it is drawn from.
pub fn scenarios() -> impl Strategy<Value = Scenario> {
    (any::<String>(), proptest::option::of(any::<String>()), proptest::collection::vec(any::<u64>(), 600))
        .prop_map(|(name, description, raw)| build(name, description, &raw))
}
