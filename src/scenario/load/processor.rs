//! Every `[[processor]]` and its `[processor.config]`, with the rules that tie processors to one
//! another and to the other clients by their positions in the file.

use std::collections::HashMap;

use super::producer::Taken;
use super::{Cx, Tab, R};
use crate::scenario::keys::{self, PROCESSOR};
use crate::scenario::model::{ConsumerSpec, ProcessingGuarantee, ProcessorConfig, ProcessorSpec, ProducerSpec};
use crate::scenario::spell::MAX_INSTANCES;

const PROCESSOR_KEYS: &[&str] =
    &["name", "group", "input", "output", "instances", "processing_ms", "poll_timeout_ms", "config"];

impl Cx<'_> {
    /// Every `[[processor]]`; their names join `taken`. Besides each table's own rules: a
    /// processor's group is its own (Streams' `application.id`: no `[[consumer]]` and no other
    /// `[[processor]]` shares it), its exactly-once transactional ids clash with no one's, and its
    /// input is no processor's output.
    pub(super) fn processors(
        &self,
        root: &Tab<'_>,
        txn_max: u64,
        producers: &[ProducerSpec],
        consumers: &[ConsumerSpec],
        taken: &mut Vec<Taken>,
    ) -> R<Vec<ProcessorSpec>> {
        let mut processors: Vec<ProcessorSpec> = Vec::new();
        let Some(f) = root.get("processor") else {
            return Ok(processors);
        };
        // Where each processor's `name`, `group`, `input` and `output` values stand.
        let mut at: Vec<[usize; 4]> = Vec::new();
        // The transactional ids taken so far, by producer and by exactly-once processor.
        let producer_ids: HashMap<&str, usize> = producers
            .iter()
            .enumerate()
            .rev()
            .filter_map(|(i, q)| Some((q.config.transactional_id.as_deref()?, i)))
            .collect();
        let mut processor_ids: HashMap<String, usize> = HashMap::new();
        for (i, t) in self.tables(f, "[[processor]]")?.iter().enumerate() {
            let (p, here) = self.processor(t, &format!("processor[{i}]"), txn_max, taken)?;
            let [name_at, group_at, _, _] = here;
            let group = &p.group;
            if let Some(c) = consumers.iter().find(|c| &c.group == group) {
                return Err(self.err(
                    group_at,
                    format!(
                        "group `{group}` is already the group of consumer `{}`: a processor's group is its \
                         own (Kafka Streams' application.id), shared with no [[consumer]]",
                        c.name
                    ),
                ));
            }
            if let Some(i) = processors.iter().position(|q| &q.group == group) {
                return Err(self.err(
                    group_at,
                    format!(
                        "group `{group}` is already the group of processor `{}` (line {}): each \
                         [[processor]] is one application with a group of its own (Kafka Streams' \
                         application.id); run more members with `instances`",
                        processors[i].name,
                        self.line_of(at[i][1])
                    ),
                ));
            }
            if p.config.processing_guarantee == ProcessingGuarantee::ExactlyOnceV2 {
                for k in 0..p.instances {
                    let id = p.transactional_id(k);
                    let clash = if let Some(q) = producer_ids.get(id.as_str()) {
                        format!("the \"{}\" of producer `{}`", keys::TRANSACTIONAL_ID.name, producers[*q].name)
                    } else if let Some(&i) = processor_ids.get(&id) {
                        format!("also the id of processor `{}` (line {})", processors[i].name, self.line_of(at[i][0]))
                    } else {
                        processor_ids.insert(id, processors.len());
                        continue;
                    };
                    return Err(self.err(
                        name_at,
                        format!(
                            "the transactional id of instance {k} of processor `{}` is `{id}` (GROUP-NAME-K), \
                             which is {clash}: the two would fence each other",
                            p.name
                        ),
                    ));
                }
            }
            at.push(here);
            processors.push(p);
        }
        for (p, here) in processors.iter().zip(&at) {
            if let Some(i) = processors.iter().position(|q| q.output == p.input) {
                return Err(self.err(
                    here[2],
                    format!(
                        "topic `{}` is the output of processor `{}` (line {}): processor chains are not \
                         supported yet",
                        p.input,
                        processors[i].name,
                        self.line_of(at[i][3])
                    ),
                ));
            }
        }
        Ok(processors)
    }

    /// One `[[processor]]` at `here`, and where its `name`, `group`, `input` and `output` values
    /// stand.
    fn processor(
        &self,
        t: &Tab<'_>,
        here: &str,
        txn_max: u64,
        taken: &mut Vec<Taken>,
    ) -> R<(ProcessorSpec, [usize; 4])> {
        self.check_keys(t, PROCESSOR_KEYS)?;
        self.note_table(here, t);
        let name = self.client_name(t, here, "processor", taken)?;
        let name_at = self.required(t, "name")?.at;
        let group_f = self.group(t)?;
        let group = self.string(group_f)?;
        let input_f = self.required(t, "input")?;
        self.note(&format!("{here}.input"), input_f);
        let input = self.string(input_f)?;
        let output_f = self.required(t, "output")?;
        let output = self.string(output_f)?;
        if output.is_empty() || output.starts_with("__") {
            return Err(self.err(output_f.at, format!("`output` must name a workload topic, found `{output}`")));
        }
        if input == output {
            return Err(self.err(
                output_f.at,
                format!("`output` must differ from `input` (both `{input}`): a processor does not read its own output"),
            ));
        }
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
        Ok((p, [name_at, group_f.at, input_f.at, output_f.at]))
    }

    /// `[processor.config]`: the guarantee first (the commit interval's default follows it), then
    /// the other keys; `transaction.timeout.ms` only under exactly-once.
    fn processor_config(&self, t: &Tab<'_>, here: &str, txn_max: u64) -> R<ProcessorConfig> {
        self.moved_keys(t, &[&keys::APPLICATION_ID, &keys::GROUP_ID], "[[processor]]")?;
        let mut c = ProcessorConfig::default();
        self.config(t, &format!("{here}.config"), PROCESSOR, &mut c, txn_max)?;
        // Under exactly_once_v2 each instance's producer is transactional; under at_least_once
        // the timeout means nothing.
        if let (ProcessingGuarantee::AtLeastOnce, Some(f)) =
            (c.processing_guarantee, t.get(keys::TRANSACTION_TIMEOUT_MS.name))
        {
            return Err(self.err(
                f.key_at,
                format!(
                    "`{}` applies to exactly_once_v2 processors; under at_least_once the processor runs no \
                     transactions",
                    keys::TRANSACTION_TIMEOUT_MS.name
                ),
            ));
        }
        Ok(c)
    }
}
