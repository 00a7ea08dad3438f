//! Loading a scenario file: TOML text in, a validated [`Scenario`] out, or one
//! `FILE:LINE:COL: MESSAGE` error that says what was wrong and where, so that nothing bad is run.
//!
//! The file is parsed with `toml_edit`, which keeps the byte span of every key and value. The
//! loader itself rejects what is wrong with the text (bad TOML, a wrong type, an unknown key, with
//! the nearest valid one, a value out of its key's range, a name it cannot resolve); every rule
//! between fields is [`Scenario::validate`]'s, run on what was parsed, whose problem paths the
//! loader turns back into positions. One file per section of the format.

mod client;
mod cluster;
mod config;
mod consumer;
mod expect;
mod faults;
mod nemesis;
mod network;
mod processor;
mod producer;
mod service;
mod topics;
mod value;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use thiserror::Error;
use toml_edit::{ImDocument, Item, TableLike};

use super::model::{Scenario, Target};
use super::validate::Problem;

/// A rejected scenario file: where (1-based line and column) and what was wrong.
///
/// Displays as `FILE:LINE:COL: MESSAGE`, the form editors and the CLI's exit-2 path expect.
/// Control characters of the file name or message (a `\n` quoted from a value, say) are written
/// out (`\n`, `\u{1b}`), so the error stays one line and cannot fake another.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}:{line}:{column}: {}", super::escape_controls(file), super::escape_controls(message))]
pub struct ScenarioError {
    /// The file name, as the caller gave it.
    pub file: String,
    /// 1-based line of the offending key or value (0 when the file could not be read at all).
    pub line: usize,
    /// 1-based column in characters (0 when the file could not be read at all).
    pub column: usize,
    /// What was wrong, with the allowed values or the nearest valid spelling when there is one.
    pub message: String,
}

/// The largest scenario the loader reads, so that `/dev/zero` or an endless standard input is an
/// error rather than an allocation without end.
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// The file name [`load_file`] gives standard input, read for the path `-`.
pub const STDIN_NAME: &str = "<stdin>";

/// Reads and validates the scenario file at `path` (`-`: standard input, named `<stdin>` in
/// messages); I/O and UTF-8 failures are errors too.
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
    load_file_with_warnings(path).map(|(s, _)| s)
}

/// [`load_file`], with the warnings about what the file allows but cannot mean (a fault at a time
/// past `duration_ms`), each displayed as `FILE:LINE:COL: warning: ...`.
pub fn load_file_with_warnings(path: &Path) -> Result<(Scenario, Vec<ScenarioError>), ScenarioError> {
    use std::io::Read;
    let stdin = path.as_os_str() == "-";
    let file = if stdin { STDIN_NAME.to_string() } else { path.display().to_string() };
    let cannot = |e: std::io::Error| ScenarioError {
        file: file.clone(),
        line: 0,
        column: 0,
        message: format!("cannot read the scenario file: {e}"),
    };
    let mut bytes = Vec::new();
    let reader: Box<dyn Read> =
        if stdin { Box::new(std::io::stdin().lock()) } else { Box::new(std::fs::File::open(path).map_err(cannot)?) };
    reader.take(MAX_SCENARIO_BYTES + 1).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(ScenarioError {
            file,
            line: 0,
            column: 0,
            message: format!("the scenario is longer than {MAX_SCENARIO_BYTES} bytes, the most the loader reads"),
        });
    }
    match std::str::from_utf8(&bytes) {
        Ok(source) => parse_str_with_warnings(source, &file),
        Err(e) => {
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
            let (line, column) = line_col(valid, valid.len());
            Err(ScenarioError { file, line, column, message: "the file is not valid UTF-8".into() })
        }
    }
}

/// Parses and validates scenario TOML `source`; `file` is only used to label errors.
pub fn parse_str(source: &str, file: &str) -> Result<Scenario, ScenarioError> {
    parse_str_with_warnings(source, file).map(|(s, _)| s)
}

/// [`parse_str`], with the file's warnings (see [`load_file_with_warnings`]).
pub fn parse_str_with_warnings(source: &str, file: &str) -> Result<(Scenario, Vec<ScenarioError>), ScenarioError> {
    let cx = Cx {
        src: source,
        file,
        spots: RefCell::default(),
        version: Default::default(),
        warnings: RefCell::default(),
        last_pos: Default::default(),
    };
    let doc = ImDocument::parse(source).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        let what = one_line(e.message());
        let what = if what.is_empty() { "syntax error".into() } else { what };
        cx.err(at, format!("invalid TOML: {what}"))
    })?;
    let root = Tab { t: doc.as_table(), at: 0, name: TOP };
    let scenario = cx.scenario(root)?;
    match scenario.validate() {
        Ok(()) => Ok((scenario, cx.warnings.into_inner())),
        Err(problems) => Err(cx.problem(&scenario, &problems[0])),
    }
}

/// 1-based line and column (in characters) of byte offset `at` in `src`.
fn line_col(src: &str, at: usize) -> (usize, usize) {
    count_lines(src, 0, (1, 1), at)
}

/// The line and column of byte offset `at` in `src`, counted on from byte `from` (a character
/// boundary at or before `at`) whose line and column are `start`.
fn count_lines(src: &str, from: usize, start: (usize, usize), at: usize) -> (usize, usize) {
    let (mut line, mut column) = start;
    for (i, ch) in src[from..].char_indices() {
        let i = i + from;
        if i >= at {
            break;
        }
        if i == 0 && ch == '\u{feff}' {
            // A byte order mark opens the file: it is no column of line 1.
            continue;
        }
        if ch == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

/// A multi-line parser message folded into one line.
fn one_line(message: &str) -> String {
    message.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

type R<T> = Result<T, ScenarioError>;

/// The name used for the document's root table in messages.
const TOP: &str = "the top level";

/// A table (standard, inline, or an entry of an array of tables) and where it starts.
#[derive(Clone, Copy)]
struct Tab<'a> {
    t: &'a dyn TableLike,
    at: usize,
    name: &'static str,
}

impl<'a> Tab<'a> {
    /// The entry for `key`, with the positions of its key and value.
    fn get(&self, key: &str) -> Option<Field<'a>> {
        let t: &'a dyn TableLike = self.t;
        let (k, item) = t.get_key_value(key)?;
        if item.is_none() {
            return None;
        }
        let key_at = k.span().map_or(self.at, |s| s.start);
        let at = item.span().map_or(key_at, |s| s.start);
        Some(Field { key: k.get(), key_at, item, at })
    }

    /// "in [producer.config]" or "at the top level", for messages.
    fn place(&self) -> String {
        if self.name == TOP {
            format!("at {TOP}")
        } else {
            format!("in {}", self.name)
        }
    }
}

/// One key/value entry of a table, with byte offsets of the key and of the value.
#[derive(Clone, Copy)]
struct Field<'a> {
    key: &'a str,
    key_at: usize,
    item: &'a Item,
    at: usize,
}

/// A string value of the file (a key's value or an array element) and where it stands, so an
/// error can point inside it.
#[derive(Clone, Copy)]
struct Str<'a> {
    text: &'a str,
    /// Byte offset of the value (its opening quote).
    at: usize,
    /// Byte offset of its first character, when the file spells it without escapes.
    plain_from: Option<usize>,
}

impl Str<'_> {
    /// Byte offset of byte `offset` of the text, when the file spells it without escapes
    /// (else the start of the value).
    fn inside(&self, offset: usize) -> usize {
        match self.plain_from {
            Some(from) if offset <= self.text.len() => from + offset,
            _ => self.at,
        }
    }
}

/// Where a path of the scenario stands in the file: a table, or a key and its value.
#[derive(Clone, Copy)]
struct Spot {
    key_at: usize,
    at: usize,
    /// The byte offset of a string value's first character, when the file spells it without
    /// escapes (so an offset into the value is an offset into the file).
    plain_from: Option<usize>,
    /// The value's length in bytes, for `plain_from`.
    len: usize,
}

/// The loader: the source text (for positions), the file name (for messages), and where each
/// path `validate` may name was written.
struct Cx<'s> {
    src: &'s str,
    file: &'s str,
    spots: RefCell<HashMap<String, Spot>>,
    /// The file's `kafka_version`, once `[cluster]` is read: client config defaults follow it.
    version: std::cell::Cell<super::model::KafkaVersion>,
    /// What the file allows but cannot mean, as `warning: ...` messages at their positions.
    warnings: RefCell<Vec<ScenarioError>>,
    /// The last position computed, as (byte offset, line, column): warnings come in file order,
    /// so each is counted on from the one before, not from the start (200,000 warnings on a
    /// 16 MiB file took minutes).
    last_pos: std::cell::Cell<(usize, usize, usize)>,
}

impl Cx<'_> {
    /// An error at byte offset `at`.
    fn err(&self, at: usize, message: impl Into<String>) -> ScenarioError {
        let (line, column) = self.line_col(at);
        ScenarioError { file: self.file.to_string(), line, column, message: message.into() }
    }

    /// Notes a warning at byte offset `at`: `message` is prefixed with `warning: `.
    fn warn(&self, at: usize, message: impl std::fmt::Display) {
        let w = self.err(at, format!("warning: {message}"));
        self.warnings.borrow_mut().push(w);
    }

    /// The line of byte offset `at`, for "first declared at line N" notes.
    fn line_of(&self, at: usize) -> usize {
        self.line_col(at).0
    }

    /// [`line_col`] of `at`, counted on from the last position asked for when `at` lies after it.
    fn line_col(&self, at: usize) -> (usize, usize) {
        let (from, line, column) = self.last_pos.get();
        let (line, column) = match from > 0 && from <= at && self.src.is_char_boundary(from) {
            true => count_lines(self.src, from, (line, column), at),
            false => line_col(self.src, at),
        };
        if at <= self.src.len() && self.src.is_char_boundary(at) {
            self.last_pos.set((at, line, column));
        }
        (line, column)
    }

    /// Notes that `path` is table `t`.
    fn note_table(&self, path: &str, t: &Tab<'_>) {
        self.spots.borrow_mut().insert(path.to_string(), Spot { key_at: t.at, at: t.at, plain_from: None, len: 0 });
    }

    /// Notes that `path` is the entry `f`.
    fn note(&self, path: &str, f: Field<'_>) {
        let (plain_from, len) = match f.item.as_str() {
            Some(value) => (self.plain_from(f.item.span(), value), value.len()),
            None => (None, 0),
        };
        self.spots.borrow_mut().insert(path.to_string(), Spot { key_at: f.key_at, at: f.at, plain_from, len });
    }

    /// Notes that `path` is the string `s` (an array element; `key_at` is its array's key).
    fn note_str(&self, path: &str, key_at: usize, s: Str<'_>) {
        let spot = Spot { key_at, at: s.at, plain_from: s.plain_from, len: s.text.len() };
        self.spots.borrow_mut().insert(path.to_string(), spot);
    }

    /// Notes that `path` is the array element at byte `at`.
    fn note_at(&self, path: &str, at: usize) {
        self.spots.borrow_mut().insert(path.to_string(), Spot { key_at: at, at, plain_from: None, len: 0 });
    }

    /// The byte offset of the first character of string `value` spanning `span` in the source,
    /// when the source spells it without escapes (so an offset into the value is one into the
    /// file).
    fn plain_from(&self, span: Option<std::ops::Range<usize>>, value: &str) -> Option<usize> {
        let span = span?;
        let raw = self.src.get(span.clone()).unwrap_or_default();
        let plain = raw.len() == value.len() + 2
            && (raw.starts_with('"') || raw.starts_with('\''))
            && raw.get(1..raw.len() - 1) == Some(value);
        plain.then_some(span.start + 1)
    }

    /// The string value of `f`, with where it stands.
    fn str_of<'a>(&self, f: Field<'a>) -> R<Str<'a>> {
        let text = self.string(f)?;
        Ok(Str { text, at: f.at, plain_from: self.plain_from(f.item.span(), text) })
    }

    /// Byte offset of byte `offset` inside string value `f`, when the source spells the string
    /// without escapes (else the start of the value).
    fn inside(&self, f: Field<'_>, offset: usize) -> usize {
        match f.item.as_str() {
            Some(text) => Str { text, at: f.at, plain_from: self.plain_from(f.item.span(), text) }.inside(offset),
            None => f.at,
        }
    }

    /// `validate`'s problem `p` as a file error: at the path's key or value (inside a string
    /// value when the problem says where), else at an alternative path, else at the nearest
    /// enclosing table that was written.
    fn problem(&self, s: &Scenario, p: &Problem) -> ScenarioError {
        let spots = self.spots.borrow();
        let mut message = p.message.clone();
        // A path the message refers to (`first at topic[0].name`) reads as its line in a file.
        if let Some((path, spot)) = p.at.refers.as_deref().and_then(|r| Some((r, spots.get(r)?))) {
            message = message.replacen(path, &format!("line {}", self.line_of(spot.at)), 1);
        }
        let found =
            std::iter::once(p.path.as_str()).chain(p.at.alts.iter().map(String::as_str)).find_map(|x| spots.get(x));
        let at = match found {
            Some(spot) if p.at.key => spot.key_at,
            Some(spot) => match (p.at.within, spot.plain_from) {
                (Some(within), Some(from)) => {
                    let canonical = written_text(s, &p.path).unwrap_or_default();
                    let offset = remap(&canonical, &self.src[from..from + spot.len], within);
                    offset.map_or(spot.at, |o| from + o)
                }
                _ => spot.at,
            },
            None => {
                let mut path = p.path.as_str();
                loop {
                    match path.rfind(['.', '[']) {
                        Some(i) => {
                            path = &path[..i];
                            if let Some(spot) = spots.get(path) {
                                break spot.at;
                            }
                        }
                        None => break 0,
                    }
                }
            }
        };
        self.err(at, message)
    }
}

/// The canonical spelling of the string value at `path` (a fault's `target` or `after`, or an
/// element of a partition's `between` or `and`), which a problem's `within` offset counts in.
fn written_text(s: &Scenario, path: &str) -> Option<String> {
    let rest = path.strip_prefix("fault[")?;
    let (i, key) = rest.split_once("].")?;
    let f = s.faults.get(i.parse::<usize>().ok()?)?;
    let element =
        |side: &[Target], j: &str| Some(s.target_text(side.get(j.strip_suffix(']')?.parse::<usize>().ok()?)?));
    match (key, &f.target) {
        ("target", t) => Some(s.target_text(t)),
        ("after", _) => Some(s.trigger_text(&f.trigger)),
        (k, Target::Sides { between, and }) => match k.split_once('[')? {
            ("between", j) => element(between, j),
            ("and", j) => element(and, j),
            _ => None,
        },
        _ => None,
    }
}

/// Offset `within` of the canonical text as an offset of the file's `written` text: the same
/// word and the same offset in it, since the two differ at most in whitespace.
fn remap(canonical: &str, written: &str, within: usize) -> Option<usize> {
    let (c, w) = (value::words(canonical), value::words(written));
    if c.len() != w.len() {
        return None;
    }
    let i = c.iter().rposition(|(start, _)| *start <= within)?;
    let offset = within - c[i].0;
    (offset <= w[i].1.len()).then(|| w[i].0 + offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_lines_and_characters_from_one() {
        let src = "a = 1\nbé = 2\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 4), (1, 5));
        assert_eq!(line_col(src, 6), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(line_col(src, 9), (2, 3));
        assert_eq!(line_col(src, 1000), (3, 1));
    }

    #[test]
    fn counting_on_from_a_known_position_gives_what_counting_from_the_start_gives() {
        let src = "\u{feff}a = 1\nbé = 2\n\nc = 3\n";
        for from in (0..=src.len()).filter(|&i| src.is_char_boundary(i)) {
            for at in from..=src.len() + 2 {
                assert_eq!(count_lines(src, from, line_col(src, from), at), line_col(src, at), "{from} {at}");
            }
        }
    }

    #[test]
    fn an_offset_in_the_canonical_text_lands_on_the_same_word_of_the_written_text() {
        assert_eq!(remap("p1#17 acked", "  p1#17   acked ", 6), Some(10));
        assert_eq!(remap("p1#17 acked", "p1#17 acked", 3), Some(3));
        assert_eq!(remap("a b", "a", 2), None);
    }
}
