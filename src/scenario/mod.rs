//! Scenarios: the model, [`Scenario::validate`] (every rule between fields, for scenarios from
//! files and from Rust alike), loading a file with precise errors, and writing a scenario back
//! out as a file (to replay a failing case a property test found). Kafka config keys are spelled
//! once, in [`keys`], whose table drives loading, validation, writing and the docs' reference.

pub mod keys;
pub mod load;
pub mod model;
pub(crate) mod spell;
pub mod validate;
pub mod write;

pub use load::{load_file, parse_str, ScenarioError};
pub use model::*;
pub use validate::{InvalidScenario, Problem};
pub use write::to_toml;
