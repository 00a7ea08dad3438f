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

pub use load::{load_file, load_file_with_warnings, parse_str, parse_str_with_warnings, ScenarioError};
pub use model::*;
pub use validate::{InvalidScenario, Problem};
pub use write::to_toml;

/// `text` with its control characters written out (`\n`, `\t`, `\r`, and `\u{1b}` for the
/// others, as Rust writes them), so that text from a scenario file (a name, a key, a value)
/// quoted in an error or report line cannot break the line or drive a terminal. Text without
/// control characters is returned as it is.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    escape_controls_but(text, None)
}

/// [`escape_controls`] for multi-line text (a whole report): its line breaks are kept.
pub fn escape_controls_in_lines(text: &str) -> std::borrow::Cow<'_, str> {
    escape_controls_but(text, Some('\n'))
}

fn escape_controls_but(text: &str, keep: Option<char>) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && Some(c) != keep) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if Some(c) == keep => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}
