//! [`Scenario::validate`]: every rule that ties one part of a scenario to another (a replication
//! factor above the broker count, a target naming no broker, `enable.auto.commit` against
//! `commit`, ...) and the ranges of the config keys, checked on the model. A scenario built in
//! Rust gets the same checks as a file: the loader runs `validate` on what it parsed and turns
//! each problem's path into `FILE:LINE:COL`, and [`crate::run`] refuses an invalid scenario.

mod clients;
mod cluster;
mod expect;
mod faults;
mod librdkafka;
mod services;
mod size;

use std::fmt;

use thiserror::Error;

use super::keys::{Binding, Val};
use super::model::Scenario;

pub(crate) use clients::{bad_client_name, classic_only, not_transactional, undeclared_topic};
pub(crate) use cluster::{illegal_topic_name, MAX_BROKERS, MAX_PARTITIONS};
pub(crate) use size::{too_many_members, too_many_producers, too_many_topics, MAX_PRODUCERS, MAX_TOPICS};

/// One thing wrong with a scenario: where (a path such as `producer[0].config."linger.ms"`,
/// `topic[1].replication_factor` or `fault[2].target`) and what, in the loader's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The offending value: tables by their file name and index, Kafka keys quoted.
    pub path: String,
    /// What is wrong, with the allowed values when there are some.
    pub message: String,
    /// Where in a file the loader points.
    pub(crate) at: At,
}

/// Where in a file a problem stands, beyond its path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct At {
    /// At the key rather than its value.
    pub key: bool,
    /// Byte offset inside the value as `Scenario::target_text` / `trigger_text` spell it.
    pub within: Option<usize>,
    /// Paths to point at instead when `path` is not written.
    pub alts: Vec<String>,
    /// A path the message names (an earlier declaration), which a file shows as its line.
    pub refers: Option<String>,
}

impl Problem {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem { path: path.into(), message: message.into(), at: At::default() }
    }

    /// A problem that is not the file's: the run lacks the user's code for it.
    pub(crate) fn needs_code(path: &str, message: String) -> Self {
        Problem::new(path, message)
    }

    fn at_key(mut self) -> Self {
        self.at.key = true;
        self
    }

    fn within(mut self, offset: usize) -> Self {
        self.at.within = Some(offset);
        self
    }

    /// The message spells `path`, the earlier declaration the problem clashes with.
    fn refers(mut self, path: impl Into<String>) -> Self {
        self.at.refers = Some(path.into());
        self
    }

    fn or_at(mut self, alt: impl Into<String>) -> Self {
        self.at.alts.push(alt.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", super::escape_controls(&self.path), super::escape_controls(&self.message))
    }
}

/// A scenario that [`Scenario::validate`] rejected: every problem, in file order. `run` returns
/// it instead of running.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub struct InvalidScenario {
    /// What is wrong, at least one.
    pub problems: Vec<Problem>,
}

impl fmt::Display for InvalidScenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.problems.iter().map(Problem::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl Scenario {
    /// Checks every rule a scenario file is checked against, beyond its syntax: ranges of the
    /// Kafka config keys and every rule between fields. `Err` holds every problem, in file order,
    /// each with the loader's message and a path instead of a line.
    pub fn validate(&self) -> Result<(), Vec<Problem>> {
        let mut out = Vec::new();
        // A scenario too big for one process is refused on its size alone, before any check
        // whose cost grows with it.
        size::check(self, &mut out);
        if !out.is_empty() {
            return Err(out);
        }
        cluster::check(self, &mut out);
        clients::check(self, &mut out);
        services::check(self, &mut out);
        faults::check(self, &mut out);
        expect::check(self, &mut out);
        if out.is_empty() {
            Ok(())
        } else {
            Err(out)
        }
    }

    /// [`Scenario::validate`] as the error `run` returns.
    pub fn validated(&self) -> Result<&Self, InvalidScenario> {
        self.validate().map(|()| self).map_err(|problems| InvalidScenario { problems })
    }
}

/// `PREFIX."KEY"`: the path of a Kafka key in a config table.
fn key_path(prefix: &str, key: &str) -> String {
    format!("{prefix}.\"{key}\"")
}

/// The ranges of every integer and string key of config `c` (the table says them), except `skip`.
fn config_ranges<C>(bindings: &[Binding<C>], c: &C, prefix: &str, skip: &[&str], out: &mut Vec<Problem>) {
    for b in bindings.iter().filter(|b| !skip.contains(&b.key.name)) {
        let problem = match (b.get)(c) {
            Some(Val::Int(n)) => b.key.range_problem(i128::from(n)),
            Some(Val::Text(s)) => b.key.text_problem(&s),
            _ => None,
        };
        if let Some(m) = problem {
            out.push(Problem::new(key_path(prefix, b.key.name), m));
        }
    }
}

/// A key's path in a problem, written only when there is a problem: a valid scenario (a
/// proptest case's) is checked without formatting one.
type Path<'a> = &'a dyn Fn() -> String;

/// An integer field outside `min..=max`, in the loader's words.
fn range(out: &mut Vec<Problem>, path: impl FnOnce() -> String, key: &str, n: u64, (min, max): (i64, i64)) {
    let above = max != i64::MAX && i128::from(n) > i128::from(max);
    if i128::from(n) < i128::from(min) || above {
        out.push(Problem::new(path(), format!("`{key}` must be {}, found {n}", super::keys::range_text(min, max))));
    }
}

/// The message when a transactional client's `transaction.timeout.ms` (`n`) lies outside 1 to
/// the cluster's `transaction.max.timeout.ms` (`max`), or `None`.
pub(crate) fn transaction_timeout_range(n: i128, max: u64) -> Option<String> {
    (n < 1 || n > i128::from(max)).then(|| {
        format!(
            "`{}` must be from 1 to the cluster's `{}` ({max}), found {n}: {INVALID_TXN_TIMEOUT}",
            super::keys::TRANSACTION_TIMEOUT_MS.name,
            super::keys::TRANSACTION_MAX_TIMEOUT_MS.name
        )
    })
}

const INVALID_TXN_TIMEOUT: &str = "Kafka's InitProducerId would fail with INVALID_TRANSACTION_TIMEOUT";
