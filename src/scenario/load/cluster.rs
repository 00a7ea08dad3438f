//! The top level of a file and `[cluster]` with its `[cluster.config]`.

use super::{Cx, Tab, R};
use crate::scenario::keys::BROKER;
use crate::scenario::model::{ClusterSpec, KafkaVersion, Scenario, TopicSpec};
use crate::scenario::spell::METADATA;
use crate::scenario::validate::MAX_BROKERS;

pub(super) const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "seed",
    "duration_ms",
    "cluster",
    "network",
    "topic",
    "producer",
    "consumer",
    "processor",
    "service",
    "fault",
    "nemesis",
    "expect",
];
pub(super) const CLUSTER_KEYS: &[&str] = &["brokers", "kafka_version", "metadata", "config"];

impl Cx<'_> {
    /// The whole scenario, section by section.
    pub(super) fn scenario(&self, root: Tab<'_>) -> R<Scenario> {
        self.check_keys(&root, TOP_KEYS)?;
        let defaults = Scenario::default();
        let name = self.string(self.required(&root, "name")?)?.to_string();
        let description = match root.get("description") {
            Some(f) => Some(self.string(f)?.to_string()),
            None => None,
        };
        let seed = match root.get("seed") {
            Some(f) => self.u64_min(f, 0)?,
            None => defaults.seed,
        };
        let duration_ms = match root.get("duration_ms") {
            Some(f) => self.u64_min(f, 1)?,
            None => defaults.duration_ms,
        };
        let cluster = self.cluster(&root)?;
        let network = self.network(&root)?;
        let mut topics = self.topics(&root, cluster.brokers)?;
        let mut taken = Default::default();
        let txn_max = cluster.config.transaction_max_timeout_ms;
        let producers = self.producers(&root, txn_max, &mut taken)?;
        let consumers = self.consumers(&root, &mut taken)?;
        let processors = self.processors(&root, txn_max, &mut taken)?;
        let services = self.services(&root)?;
        for p in &processors {
            if !topics.iter().any(|t| t.name == p.output) {
                // The output's producer asks for metadata with auto-creation allowed: the broker
                // creates the topic with its defaults (`auto.create.topics.enable`,
                // `num.partitions` = 1, `default.replication.factor` = 1).
                topics.push(TopicSpec::new(&p.output, 1, 1));
            }
        }
        let mut s = Scenario {
            name,
            description,
            seed,
            duration_ms,
            cluster,
            network,
            topics,
            producers,
            consumers,
            processors,
            services,
            faults: Vec::new(),
            nemesis: None,
            expect: Vec::new(),
        };
        if let Some(f) = root.get("fault") {
            for (i, t) in self.tables(f, "[[fault]]")?.iter().enumerate() {
                let fault = self.fault(t, &format!("fault[{i}]"), &s)?;
                s.faults.push(fault);
            }
        }
        if let Some(f) = root.get("nemesis") {
            s.nemesis = Some(self.nemesis(&self.table(f, "[nemesis]")?)?);
        }
        if let Some(f) = root.get("expect") {
            s.expect = self.expect(&self.table(f, "[expect]")?)?;
        }
        Ok(s)
    }

    /// `[cluster]` and `[cluster.config]`.
    fn cluster(&self, root: &Tab<'_>) -> R<ClusterSpec> {
        let mut cluster = ClusterSpec::default();
        let Some(f) = root.get("cluster") else {
            return Ok(cluster);
        };
        let t = self.table(f, "[cluster]")?;
        self.check_keys(&t, CLUSTER_KEYS)?;
        self.note_table("cluster", &t);
        if let Some(f) = t.get("kafka_version") {
            self.note("cluster.kafka_version", f);
            let v = KafkaVersion::parse(self.string(f)?).map_err(|m| self.err(f.at, m))?;
            self.version.set(v);
            cluster = ClusterSpec { brokers: cluster.brokers, ..ClusterSpec::for_version(v) };
        }
        if let Some(f) = t.get("metadata") {
            self.note("cluster.metadata", f);
            cluster.metadata = self.choice(f, METADATA)?;
        }
        if let Some(f) = t.get("brokers") {
            cluster.brokers = self.u32_in(f, 1, MAX_BROKERS)?;
        }
        if let Some(f) = t.get("config") {
            let c = self.table(f, "[cluster.config]")?;
            let txn_max = cluster.config.transaction_max_timeout_ms;
            self.config(&c, "cluster.config", BROKER, &mut cluster.config, txn_max)?;
        }
        Ok(cluster)
    }
}
