//! The data layer: the values both the model and the checker read. The broker and clients
//! write log batches and history events; the checker reads the history and the final logs and
//! nothing else, so neither side owns these types.
//!
//! - `ids`: record and partition ids, and the records a consumer was handed;
//! - `log`: log batches and the internal records (offset commits, group metadata, transaction
//!   state and markers) they may carry;
//! - `anomaly`: the anomalies the checker counts, and their names;
//! - `client`: whose client library a producer or consumer is (Java or librdkafka);
//! - `config`: the client configs the history names (scenarios set them; `kafkasim::scenario`
//!   re-exports them);
//! - `fault`: fault actions (re-exported by `kafkasim::scenario` too) and the typed targets of
//!   `Fault` and `Healed` events;
//! - `history`: what clients and the operator observed, and the final logs;
//! - `timeline`: what the timeline page needs beyond the history (replicas' logs, offsets and
//!   truncations over time), collected only when asked for;
//! - `version`: the Kafka releases the model reproduces and the behaviour switches between them.

mod anomaly;
mod client;
mod config;
mod deliveries;
mod fault;
mod history;
mod ids;
mod list;
mod log;
mod timeline;
mod version;

pub use anomaly::*;
pub use client::*;
pub use config::*;
pub use deliveries::*;
pub use fault::*;
pub use history::*;
pub use ids::*;
pub use list::*;
pub use log::*;
pub use timeline::*;
pub use version::*;
