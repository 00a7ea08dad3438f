//! `ClientContext`: what a client's context is (rdkafka's hooks for logs, statistics and errors;
//! none of them is called in the simulation, so the trait has no methods to override).

/// A client's user-defined context (rdkafka's `ClientContext`, whose hooks all have defaults:
/// `impl ClientContext for MyContext {}` compiles against both).
pub trait ClientContext: Send + Sync {}

/// A context with no customisation.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultClientContext;

impl ClientContext for DefaultClientContext {}
