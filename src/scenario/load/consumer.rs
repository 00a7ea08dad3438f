//! Every `[[consumer]]` and its `[consumer.config]`.

use super::producer::Taken;
use super::{Cx, Field, Tab, R};
use crate::scenario::keys::{self, CONSUMER};
use crate::scenario::model::{CommitMode, ConsumerConfig, ConsumerSpec, GroupProtocol};
use crate::scenario::spell::{COMMIT_MODES, MAX_INSTANCES};
use crate::scenario::validate::classic_only;

pub(super) const CONSUMER_KEYS: &[&str] =
    &["name", "group", "topics", "commit", "processing_ms", "instances", "poll_timeout_ms", "config", "client"];

impl Cx<'_> {
    /// Every `[[consumer]]`; their names join `taken`.
    pub(super) fn consumers(&self, root: &Tab<'_>, taken: &mut Taken) -> R<Vec<ConsumerSpec>> {
        let mut consumers = Vec::new();
        let Some(f) = root.get("consumer") else {
            return Ok(consumers);
        };
        let mut members = 0u64;
        for (i, t) in self.tables(f, "[[consumer]]")?.iter().enumerate() {
            let c = self.consumer(t, &format!("consumer[{i}]"), taken)?;
            members += u64::from(c.instances);
            if let Some(m) = crate::scenario::validate::too_many_members(members) {
                // Said at once, rather than after reading the rest of a file of 200,000 tables.
                let at = t.get("instances").map_or(t.at, |f| f.at);
                return Err(self.err(at, m));
            }
            consumers.push(c);
        }
        Ok(consumers)
    }

    /// One `[[consumer]]` at `here`. `commit` and `enable.auto.commit` say the same thing twice:
    /// either may be left out and follows the other; a contradiction is `validate`'s.
    fn consumer(&self, t: &Tab<'_>, here: &str, taken: &mut Taken) -> R<ConsumerSpec> {
        self.check_keys(t, CONSUMER_KEYS)?;
        self.note_table(here, t);
        let name = self.client_name(t, here, "consumer", taken)?;
        let group_f = self.required(t, "group")?;
        self.note(&format!("{here}.group"), group_f);
        let group = self.string(group_f)?;
        let topics = self.subscribed(self.required(t, "topics")?, here)?;
        let commit = match t.get("commit") {
            Some(f) => Some(self.choice(f, COMMIT_MODES)?),
            None => None,
        };
        let processing_ms = match t.get("processing_ms") {
            Some(f) => self.u64_min(f, 0)?,
            None => 1,
        };
        let instances = match t.get("instances") {
            Some(f) => {
                self.note(&format!("{here}.instances"), f);
                self.u32_in(f, 1, MAX_INSTANCES)?
            }
            None => 1,
        };
        let poll_timeout_ms = match t.get("poll_timeout_ms") {
            Some(f) => self.u64_min(f, 1)?,
            None => 100,
        };
        let client = self.client_kind(t, here)?;
        let mut config = ConsumerConfig::for_client(client, self.version.get());
        let mut auto_commit_written = false;
        if let Some(f) = t.get("config") {
            let c = self.table(f, "[consumer.config]")?;
            self.moved_keys(&c, &[&keys::GROUP_ID], "[[consumer]]")?;
            let extra = keys::librdkafka::CONSUMER;
            self.client_config(&c, &format!("{here}.config"), client, CONSUMER, extra, &mut config, 0)?;
            auto_commit_written = c.get(keys::ENABLE_AUTO_COMMIT.name).is_some();
            if config.group_protocol == GroupProtocol::Consumer {
                // Kafka rejects these keys when written at all, even with their default value.
                let classic =
                    [&keys::SESSION_TIMEOUT_MS, &keys::HEARTBEAT_INTERVAL_MS, &keys::PARTITION_ASSIGNMENT_STRATEGY];
                if let Some(f) = classic.iter().find_map(|k| c.get(k.name)) {
                    return Err(self.err(f.key_at, classic_only(f.key)));
                }
            }
        }
        let commit = match commit {
            Some(mode) => mode,
            None if config.enable_auto_commit => CommitMode::Auto,
            None => CommitMode::AfterProcessing,
        };
        if !auto_commit_written {
            config.enable_auto_commit = commit == CommitMode::Auto;
        }
        Ok(ConsumerSpec {
            name: name.to_string(),
            group: group.to_string(),
            topics,
            commit,
            processing_ms,
            instances,
            poll_timeout_ms,
            config,
            client,
        })
    }

    /// A consumer's `topics`: a non-empty array of topic names.
    fn subscribed(&self, f: Field<'_>, here: &str) -> R<Vec<String>> {
        let Some(array) = f.item.as_array() else {
            let mut e = self.type_err(f, "an array of topic names");
            if let Some(s) = f.item.as_str() {
                e.message.push_str(&format!(" (write [\"{s}\"])"));
            }
            return Err(e);
        };
        if array.is_empty() {
            return Err(self.err(f.at, "`topics` must not be empty: list the topics the group subscribes to"));
        }
        let mut out: Vec<String> = Vec::new();
        for (j, v) in array.iter().enumerate() {
            let at = v.span().map_or(f.at, |s| s.start);
            self.note_at(&format!("{here}.topics[{j}]"), at);
            let Some(name) = v.as_str() else {
                return Err(self.err(
                    at,
                    format!(
                        "`topics` must list topic names (strings), found {}",
                        super::value::kind(&toml_edit::Item::Value(v.clone()))
                    ),
                ));
            };
            out.push(name.to_string());
        }
        Ok(out)
    }
}
