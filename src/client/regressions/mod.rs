//! Regression tests of a client on its own, driven message by message (the model is private to
//! the crate, so these live beside it; whole-run regressions are in tests/regressions/).

mod an_out_of_order_retry_below_the_last_acked_sequence_keeps_the_producer_epoch;
