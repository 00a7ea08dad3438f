//! Scenarios: the TOML model, loading, and validation with precise errors.

pub mod model;

pub use model::*;
