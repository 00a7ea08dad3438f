//! Text rendering.
