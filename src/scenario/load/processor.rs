//! Every `[[processor]]` and its `[processor.config]`.

use super::producer::Taken;
use super::{Cx, Tab, R};
use crate::scenario::keys::{self, PROCESSOR};
use crate::scenario::model::{ClientKind, ProcessingGuarantee, ProcessorConfig, ProcessorSpec};
use crate::scenario::spell::MAX_INSTANCES;

pub(super) const PROCESSOR_KEYS: &[&str] =
    &["name", "group", "input", "output", "instances", "processing_ms", "poll_timeout_ms", "config", "client"];

impl Cx<'_> {
    /// Every `[[processor]]`; their names join `taken`. `txn_max` bounds transaction timeouts.
    pub(super) fn processors(&self, root: &Tab<'_>, txn_max: u64, taken: &mut Taken) -> R<Vec<ProcessorSpec>> {
        let mut processors = Vec::new();
        if let Some(f) = root.get("processor") {
            for (i, t) in self.tables(f, "[[processor]]")?.iter().enumerate() {
                processors.push(self.processor(t, &format!("processor[{i}]"), txn_max, taken)?);
            }
        }
        Ok(processors)
    }

    /// One `[[processor]]` at `here`.
    fn processor(&self, t: &Tab<'_>, here: &str, txn_max: u64, taken: &mut Taken) -> R<ProcessorSpec> {
        self.check_keys(t, PROCESSOR_KEYS)?;
        self.note_table(here, t);
        let name = self.client_name(t, here, "processor", taken)?;
        if self.client_kind(t, here)? != ClientKind::Java {
            let at = t.get("client").map_or(t.at, |f| f.at);
            return Err(
                self.err(at, "a [[processor]] runs Kafka Streams, a Java library: `client` may only be \"java\"")
            );
        }
        let mut strings = [""; 3];
        for (slot, key) in strings.iter_mut().zip(["group", "input", "output"]) {
            let f = self.required(t, key)?;
            self.note(&format!("{here}.{key}"), f);
            *slot = self.string(f)?;
        }
        let [group, input, output] = strings;
        let mut p = ProcessorSpec::new(name, group, input, output, ProcessingGuarantee::AtLeastOnce);
        if let Some(f) = t.get("instances") {
            p.instances = self.u32_in(f, 1, MAX_INSTANCES)?;
        }
        if let Some(f) = t.get("processing_ms") {
            p.processing_ms = self.u64_min(f, 0)?;
        }
        if let Some(f) = t.get("poll_timeout_ms") {
            p.poll_timeout_ms = self.u64_min(f, 1)?;
        }
        if let Some(f) = t.get("config") {
            p.config = self.processor_config(&self.table(f, "[processor.config]")?, here, txn_max)?;
        }
        Ok(p)
    }

    /// `[processor.config]`: the guarantee first (the commit interval's default follows it), then
    /// the other keys; `transaction.timeout.ms` only under exactly-once.
    fn processor_config(&self, t: &Tab<'_>, here: &str, txn_max: u64) -> R<ProcessorConfig> {
        self.moved_keys(t, &[&keys::APPLICATION_ID, &keys::GROUP_ID], "[[processor]]")?;
        let mut c = ProcessorConfig::default();
        self.config(t, &format!("{here}.config"), PROCESSOR, &mut c, txn_max)?;
        // Under exactly-once each task's or instance's producer is transactional; under at_least_once
        // the timeout means nothing.
        if let (ProcessingGuarantee::AtLeastOnce, Some(f)) =
            (c.processing_guarantee, t.get(keys::TRANSACTION_TIMEOUT_MS.name))
        {
            return Err(self.err(
                f.key_at,
                format!(
                    "`{}` applies to exactly_once and exactly_once_v2 processors; under at_least_once the processor runs no \
                     transactions",
                    keys::TRANSACTION_TIMEOUT_MS.name
                ),
            ));
        }
        Ok(c)
    }
}
