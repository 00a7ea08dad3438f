//! Every `[[topic]]` and its `[topic.config]`.

use super::{Cx, Tab, R};
use crate::scenario::keys::TOPIC;
use crate::scenario::model::TopicSpec;
use crate::scenario::spell::legal_topic_name;
use crate::scenario::validate::{illegal_topic_name, MAX_PARTITIONS};

pub(super) const TOPIC_KEYS: &[&str] = &["name", "partitions", "replication_factor", "config"];

impl Cx<'_> {
    /// Every `[[topic]]`; `brokers` gives the replication factor's default.
    pub(super) fn topics(&self, root: &Tab<'_>, brokers: u32) -> R<Vec<TopicSpec>> {
        let mut topics: Vec<TopicSpec> = Vec::new();
        let Some(f) = root.get("topic") else {
            return Ok(topics);
        };
        let tables = self.tables(f, "[[topic]]")?;
        if let Some(m) = crate::scenario::validate::too_many_topics(tables.len()) {
            // Refused before any is read.
            return Err(self.err(tables[crate::scenario::validate::MAX_TOPICS].at, m));
        }
        for (i, t) in tables.iter().enumerate() {
            let here = format!("topic[{i}]");
            self.check_keys(t, TOPIC_KEYS)?;
            self.note_table(&here, t);
            let name_f = self.required(t, "name")?;
            self.note(&format!("{here}.name"), name_f);
            let name = self.string(name_f)?;
            if !legal_topic_name(name) {
                return Err(self.err(name_f.at, illegal_topic_name(name)));
            }
            let partitions = match t.get("partitions") {
                Some(f) => {
                    self.note(&format!("{here}.partitions"), f);
                    self.u32_in(f, 1, MAX_PARTITIONS)?
                }
                None => 1,
            };
            let replication_factor = match t.get("replication_factor") {
                Some(f) => {
                    self.note(&format!("{here}.replication_factor"), f);
                    self.int(f, 1, i64::MAX)?.min(i64::from(u32::MAX)) as u32
                }
                None => brokers.min(3),
            };
            let mut topic = TopicSpec::new(name, partitions, replication_factor);
            if let Some(f) = t.get("config") {
                let c = self.table(f, "[topic.config]")?;
                self.config(&c, &format!("{here}.config"), TOPIC, &mut topic, 0)?;
            }
            topics.push(topic);
        }
        Ok(topics)
    }
}
