//! `ClientConfig`: string keys and values, librdkafka's names; an unknown key is refused
//! naming the nearest known one.

use std::collections::BTreeMap;

use super::error::{KafkaError, KafkaResult, RDKafkaConfRes};
use crate::scenario::keys::Scope;

/// librdkafka keys a service may set beyond the scenario's producer and consumer keys (they
/// change nothing in the model: the cluster is the simulated one).
const CLIENT_KEYS: &[&str] = &[
    "bootstrap.servers",
    "metadata.broker.list",
    "client.id",
    "group.id",
    "enable.partition.eof",
    "message.timeout.ms",
    "queue.buffering.max.ms",
    "socket.timeout.ms",
    "debug",
    "statistics.interval.ms",
    "enable.auto.offset.store",
];

/// A client's configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientConfig {
    conf_map: BTreeMap<String, String>,
}

/// A client that can be created from a [`ClientConfig`].
pub trait FromClientConfig: Sized {
    /// Create it.
    fn from_config(config: &ClientConfig) -> KafkaResult<Self>;
}

/// A client that can be created from a [`ClientConfig`] and a context.
pub trait FromClientConfigAndContext<C: super::client::ClientContext>: Sized {
    /// Create it.
    fn from_config_and_context(config: &ClientConfig, context: C) -> KafkaResult<Self>;
}

impl ClientConfig {
    /// An empty configuration.
    pub fn new() -> Self {
        ClientConfig::default()
    }

    /// Set `key` to `value`.
    pub fn set<K: Into<String>, V: Into<String>>(&mut self, key: K, value: V) -> &mut ClientConfig {
        self.conf_map.insert(key.into(), value.into());
        self
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.conf_map.get(key).map(String::as_str)
    }

    /// Remove `key`.
    pub fn remove(&mut self, key: &str) -> &mut ClientConfig {
        self.conf_map.remove(key);
        self
    }

    /// Create the client (inside a service's code: it binds to one of the service's tables).
    pub fn create<T: FromClientConfig>(&self) -> KafkaResult<T> {
        self.check()?;
        T::from_config(self)
    }

    /// Create the client with a user-defined `context` (a consumer's `ConsumerContext` gets the
    /// rebalance and commit callbacks).
    pub fn create_with_context<C, T>(&self, context: C) -> KafkaResult<T>
    where
        C: super::client::ClientContext,
        T: FromClientConfigAndContext<C>,
    {
        self.check()?;
        T::from_config_and_context(self, context)
    }

    /// Every key is known: librdkafka refuses an unknown one at creation.
    fn check(&self) -> KafkaResult<()> {
        let known = || {
            CLIENT_KEYS
                .iter()
                .copied()
                .chain(Scope::Producer.keys().into_iter().map(|k| k.name))
                .chain(Scope::Consumer.keys().into_iter().map(|k| k.name))
        };
        for (k, v) in &self.conf_map {
            if !known().any(|x| x == k) {
                let hint = crate::scenario::spell::nearest(k, known())
                    .map(|n| format!("; did you mean `{n}`?"))
                    .unwrap_or_default();
                return Err(KafkaError::ClientConfig(
                    RDKafkaConfRes::Unknown,
                    format!("No such configuration property: \"{k}\"{hint}"),
                    k.clone(),
                    v.clone(),
                ));
            }
        }
        Ok(())
    }
}
