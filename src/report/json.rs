//! JSON Lines rendering.
