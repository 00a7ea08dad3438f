//! The service code of `examples/rdkafka_service.rs` compiled against the rdkafka 0.39 crate
//! (feature `rdkafka-compat-check`): each file under `examples/rdkafka_service/` is included
//! here with `rdkafka` = the crate, as the example includes it with `rdkafka` =
//! `kafkasim::rdkafka`, so the same text compiles against both. Nothing connects to a broker:
//! compiling is the check, and the tests pin the functions' types.
//!
//! `cargo test --features rdkafka-compat-check --test rdkafka_compat`
#![cfg(feature = "rdkafka-compat-check")]

// The name the service files import with `use super::rdkafka;`.
extern crate rdkafka;

#[path = "../examples/rdkafka_service/at_least_once.rs"]
mod at_least_once;

use std::future::Future;

/// `f` is an async service body: no arguments, runs until it returns `()`.
fn is_a_service<F: Future<Output = ()>>(_: fn() -> F) {}

#[test]
fn the_at_least_once_service_compiles_against_rdkafka_0_39() {
    is_a_service(at_least_once::at_least_once);
}
