//! # kafkasim
//!
//! A deterministic, in-process Kafka cluster simulator.
pub mod check;
pub mod error;
pub mod report;
pub mod scenario;

pub use error::KafkaError;
pub mod broker;
pub mod sim;
pub mod client;
pub mod fault;
pub mod world;
