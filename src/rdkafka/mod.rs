//! rdkafka 0.39's client API over the simulated cluster: alias it
//! (`use kafkasim::rdkafka as rdkafka;`) and a service written against rdkafka runs inside a
//! `[[service]]` of the simulation (docs/services.md says what stage 1 covers).

pub mod client;
pub mod config;
pub mod consumer;
pub mod error;
pub mod message;
mod partitioner;
pub mod producer;
pub mod topic_partition_list;
pub mod util;

pub use client::ClientContext;
pub use config::ClientConfig;
pub use message::{Message, Timestamp};
pub use topic_partition_list::{Offset, TopicPartitionList};
