//! Scenarios: the TOML model, loading, and validation with precise errors, and writing a
//! scenario back out as a file (to replay a failing case a property test found).

pub mod load;
pub mod model;
pub mod write;

pub use load::{load_file, parse_str, ScenarioError};
pub use model::*;
pub use write::to_toml;
