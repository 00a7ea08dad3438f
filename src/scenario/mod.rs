//! Scenarios: the TOML model, loading, and validation with precise errors.

pub mod load;
pub mod model;

pub use load::{load_file, parse_str, ScenarioError};
pub use model::*;
