//! JSON Lines rendering: one report per line, fields in the contract's order.

use super::Report;

/// The report as one line of JSON (no trailing newline), keys in the contract's order.
pub fn to_json_line(report: &Report) -> String {
    // Every field is a string, number, bool, list or string-keyed map: serialising cannot fail.
    serde_json::to_string(report).expect("a report always serialises to JSON")
}
