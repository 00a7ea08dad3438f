//! Clients: the producer (and, in later issues, consumers and processors).

pub mod producer;

pub use producer::{Producer, ProducerObs, ProducerTimer};
