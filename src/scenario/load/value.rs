//! Reading values out of the TOML tree: required keys, unknown keys with the nearest valid one,
//! types, ranges and choices, each error at the offending key or value.

use toml_edit::{Item, Value};

use super::{Cx, Field, Tab, R};
use crate::scenario::keys::range_text;
use crate::scenario::spell::{nearest, one_of};
use crate::scenario::ScenarioError;

/// Where key `key`, unknown in the table called `table`, belongs, when it is a key of another
/// table the user most likely meant: a client or topic config key written in the `[[producer]]`
/// or `[[topic]]` table itself, a broker config key in `[cluster]`, a `[cluster]` key (or a config
/// key) at the top level. Said instead of the nearest spelling, which would be a guess.
fn misplaced(table: &str, key: &str) -> Option<String> {
    use crate::scenario::keys::Scope;
    // `min_insync_replicas` or `min-insync-replicas`: Kafka's `min.insync.replicas` spelled the
    // way a table's own keys are, which is told apart from a typo.
    let dotted = (!key.contains('.') && key.contains(['_', '-'])).then(|| key.replace(['_', '-'], "."));
    let name = |scope: Scope| {
        let keys = scope.keys();
        if keys.iter().any(|k| k.name == key) {
            Some(key.to_string())
        } else {
            dotted.as_deref().filter(|d| keys.iter().any(|k| k.name == *d)).map(str::to_string)
        }
    };
    // Kafka Streams' `application.id` is the processor's group id (`StreamsConfig`: the
    // application id is the consumer group's `group.id`).
    if table == "[[processor]]" && matches!(dotted.as_deref().unwrap_or(key), "application.id") {
        return Some("a processor's application.id is its consumer group: write `group = \"...\"`".to_string());
    }
    let in_scope = |scope: Scope| name(scope).is_some();
    let setting = |scope: Scope| {
        let what = match scope {
            Scope::Broker => "broker",
            Scope::Topic => "topic",
            Scope::Producer | Scope::Consumer | Scope::Processor => "client",
        };
        match name(scope) {
            Some(n) if n != key => {
                format!("`{key}` is the {what} setting \"{n}\": put it under {} as \"{n}\" = ...", scope.table())
            }
            _ => format!("`{key}` is a {what} setting: put it under {}", scope.table()),
        }
    };
    let own = match table {
        "[[producer]]" => Some(Scope::Producer),
        "[[consumer]]" => Some(Scope::Consumer),
        "[[processor]]" => Some(Scope::Processor),
        "[[topic]]" => Some(Scope::Topic),
        "[cluster]" => Some(Scope::Broker),
        _ => None,
    };
    if let Some(scope) = own {
        return in_scope(scope).then(|| setting(scope));
    }
    if table != super::TOP {
        return None;
    }
    if super::cluster::CLUSTER_KEYS.contains(&key) && key != "config" {
        return Some(format!("`{key}` is a cluster setting: put it under [cluster]"));
    }
    Scope::ALL.into_iter().find(|&scope| in_scope(scope)).map(setting)
}

/// Every table of the format with its own keys (sub-tables left out), for keys written in the
/// wrong table.
fn table_keys() -> [(&'static str, &'static [&'static str]); 11] {
    use super::*;
    [
        (TOP, cluster::TOP_KEYS),
        ("[cluster]", cluster::CLUSTER_KEYS),
        ("[network]", network::NETWORK_KEYS),
        ("[[topic]]", topics::TOPIC_KEYS),
        ("[[producer]]", producer::PRODUCER_KEYS),
        ("[[consumer]]", consumer::CONSUMER_KEYS),
        ("[[processor]]", processor::PROCESSOR_KEYS),
        ("[[service]]", service::SERVICE_KEYS),
        ("[[fault]]", faults::FAULT_KEYS),
        ("[nemesis]", nemesis::NEMESIS_KEYS),
        ("[expect]", &crate::record::Anomaly::NAMES),
    ]
}

/// Where key `key`, unknown in the table called `table`, belongs when it is a key of other
/// tables (not a sub-table's name): "`latency_ms` belongs under [network]". `None` when no other
/// table has it, or when `table` has a key one edit away (a typo of its own key, said instead).
fn elsewhere(table: &str, key: &str, own: &[&str]) -> Option<String> {
    if own.iter().any(|k| crate::scenario::spell::levenshtein(&key.to_lowercase(), &k.to_lowercase()) <= 1) {
        return None;
    }
    let sections =
        super::cluster::TOP_KEYS.iter().filter(|k| !matches!(**k, "name" | "description" | "seed" | "duration_ms"));
    let sections: Vec<&str> = sections.copied().chain(["config"]).collect();
    if sections.contains(&key) {
        return None;
    }
    let homes: Vec<String> = (table_keys().into_iter())
        .filter(|&(name, keys)| name != table && keys.contains(&key))
        .map(|(name, _)| if name == super::TOP { format!("at {name}") } else { format!("under {name}") })
        .collect();
    let (last, rest) = homes.split_last()?;
    let list = if rest.is_empty() { last.clone() } else { format!("{} or {last}", rest.join(", ")) };
    Some(format!("`{key}` belongs {list}"))
}

/// "a string", "an integer", ...: what a value is, for type errors.
pub(super) fn kind(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
        Item::Value(v) => match v {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Boolean(_) => "a boolean",
            Value::Datetime(_) => "a date-time",
            Value::Array(_) => "an array",
            Value::InlineTable(_) => "an inline table",
        },
    }
}

/// The full name of a dotted key (`min.insync.replicas = 1` unquoted), when `item` is one.
fn dotted_path(key: &str, item: &Item) -> Option<String> {
    let mut cur = item.as_table_like()?;
    if !cur.is_dotted() {
        return None;
    }
    let mut path = key.to_string();
    loop {
        let (k, next) = cur.iter().next()?;
        path.push('.');
        path.push_str(k);
        match next.as_table_like() {
            Some(t) if t.is_dotted() => cur = t,
            _ => return Some(path),
        }
    }
}

/// Whitespace-separated words of `s` with their byte offsets.
pub(super) fn words(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(b)) => {
                out.push((b, &s[b..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(b) = start {
        out.push((b, &s[b..]));
    }
    out
}

impl Cx<'_> {
    /// The required entry `key` of `t`, or an error at the table.
    pub(super) fn required<'a>(&self, t: &Tab<'a>, key: &str) -> R<Field<'a>> {
        t.get(key).ok_or_else(|| self.err(t.at, format!("missing required key `{key}` {}", t.place())))
    }

    /// Rejects any key of `t` not in `allowed`, naming the nearest valid one.
    pub(super) fn check_keys(&self, t: &Tab<'_>, allowed: &[&str]) -> R<()> {
        for (k, item) in t.t.iter() {
            if allowed.contains(&k) {
                continue;
            }
            let at = t.t.key(k).and_then(|key| key.span()).map_or(t.at, |s| s.start);
            let shown = match dotted_path(k, item) {
                Some(path) if allowed.contains(&path.as_str()) => {
                    return Err(self.err(
                        at,
                        format!(
                            "write the key in quotes, \"{path}\" = ...: unquoted, TOML reads \
                             its dots as nested tables"
                        ),
                    ));
                }
                Some(path) => path,
                None => k.to_string(),
            };
            if let Some(home) = misplaced(t.name, &shown).or_else(|| elsewhere(t.name, &shown, allowed)) {
                return Err(self.err(at, format!("unknown key `{shown}` {}: {home}", t.place())));
            }
            let hint =
                nearest(&shown, allowed.iter().copied()).map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
            return Err(self.err(at, format!("unknown key `{shown}` {}{hint}", t.place())));
        }
        Ok(())
    }

    /// A type error: "`brokers` must be an integer, found a string".
    pub(super) fn type_err(&self, f: Field<'_>, want: &str) -> ScenarioError {
        let mut message = format!("`{}` must be {want}, found {}", f.key, kind(f.item));
        if let Some(s) = f.item.as_str() {
            let t = s.trim();
            let unquote = (want.contains("integer") && t.parse::<i64>().is_ok())
                || (want.contains("boolean") && (t == "true" || t == "false"));
            if unquote {
                message.push_str(&format!(" (write {t} without quotes)"));
            }
        }
        self.err(f.at, message)
    }

    /// An integer in `min..=max`.
    pub(super) fn int(&self, f: Field<'_>, min: i64, max: i64) -> R<i64> {
        let Some(n) = f.item.as_integer() else {
            return Err(self.type_err(f, "an integer"));
        };
        if n < min || n > max {
            return Err(self.err(f.at, format!("`{}` must be {}, found {n}", f.key, range_text(min, max))));
        }
        Ok(n)
    }

    /// A non-negative integer of at least `min`, as u64.
    pub(super) fn u64_min(&self, f: Field<'_>, min: i64) -> R<u64> {
        self.int(f, min, i64::MAX).map(|n| n as u64)
    }

    /// An integer in `min..=max` (max at most u32::MAX), as u32.
    pub(super) fn u32_in(&self, f: Field<'_>, min: i64, max: i64) -> R<u32> {
        self.int(f, min, max.min(i64::from(u32::MAX))).map(|n| n as u32)
    }

    /// A boolean.
    pub(super) fn bool(&self, f: Field<'_>) -> R<bool> {
        f.item.as_bool().ok_or_else(|| self.type_err(f, "a boolean (true or false)"))
    }

    /// A string.
    pub(super) fn string<'a>(&self, f: Field<'a>) -> R<&'a str> {
        f.item.as_str().ok_or_else(|| self.type_err(f, "a string"))
    }

    /// A string naming one of `options`, with the nearest option on a typo.
    pub(super) fn choice<T: Copy>(&self, f: Field<'_>, options: &[(&str, T)]) -> R<T> {
        let s = self.string(f)?;
        self.word(f.at, &format!("`{}`", f.key), s, options)
    }

    /// `word` (found at byte `at`; `subject` says what it is) as one of `options`.
    pub(super) fn word<T: Copy>(&self, at: usize, subject: &str, word: &str, options: &[(&str, T)]) -> R<T> {
        if let Some((_, v)) = options.iter().find(|(n, _)| *n == word) {
            return Ok(*v);
        }
        let hint = nearest(word, options.iter().map(|(n, _)| *n))
            .map(|n| format!("; did you mean \"{n}\"?"))
            .unwrap_or_default();
        Err(self.err(at, format!("{subject} must be one of {}, found \"{word}\"{hint}", one_of(options))))
    }

    /// `[a, b]` with `min <= a <= b`, or one integer `n` meaning `[n, n]`.
    pub(super) fn pair(&self, f: Field<'_>, min: i64) -> R<(u64, u64)> {
        if f.item.as_integer().is_some() {
            let n = self.u64_min(f, min)?;
            return Ok((n, n));
        }
        let Some(array) = f.item.as_array() else {
            return Err(self.type_err(f, "[min, max] or one integer"));
        };
        if array.len() != 2 {
            return Err(self.err(
                f.at,
                format!(
                    "`{}` must be [min, max], two integers, found {} element{}",
                    f.key,
                    array.len(),
                    if array.len() == 1 { "" } else { "s" }
                ),
            ));
        }
        let mut bounds = [0u64; 2];
        for (slot, v) in bounds.iter_mut().zip(array.iter()) {
            let at = v.span().map_or(f.at, |s| s.start);
            let Some(n) = v.as_integer() else {
                return Err(self.err(
                    at,
                    format!("`{}` must be [min, max], two integers, found {}", f.key, kind(&Item::Value(v.clone()))),
                ));
            };
            if n < min {
                return Err(self.err(at, format!("`{}` bounds must be at least {min}, found {n}", f.key)));
            }
            *slot = n as u64;
        }
        Ok((bounds[0], bounds[1]))
    }

    /// The sub-table in `f`.
    pub(super) fn table<'a>(&self, f: Field<'a>, name: &'static str) -> R<Tab<'a>> {
        match f.item.as_table_like() {
            Some(t) => Ok(Tab { t, at: f.at, name }),
            None => Err(self.err(f.at, format!("`{}` must be a table ({name}), found {}", f.key, kind(f.item)))),
        }
    }

    /// The tables of an array of tables (`[[producer]]`, or an array of inline tables).
    pub(super) fn tables<'a>(&self, f: Field<'a>, name: &'static str) -> R<Vec<Tab<'a>>> {
        match f.item {
            Item::ArrayOfTables(array) => {
                Ok(array.iter().map(|t| Tab { t, at: t.span().map_or(f.at, |s| s.start), name }).collect())
            }
            Item::Value(Value::Array(array)) => array
                .iter()
                .map(|v| {
                    let at = v.span().map_or(f.at, |s| s.start);
                    match v.as_inline_table() {
                        Some(t) => Ok(Tab { t, at, name }),
                        None => Err(self.err(
                            at,
                            format!(
                                "each `{}` must be a table ({name}), found {}",
                                f.key,
                                kind(&Item::Value(v.clone()))
                            ),
                        )),
                    }
                })
                .collect(),
            _ => Err(self
                .err(f.at, format!("`{}` must be an array of tables, written {name}, found {}", f.key, kind(f.item)))),
        }
    }

    /// A non-empty array of strings, each one of `options`.
    pub(super) fn list<T: Copy>(&self, f: Field<'_>, options: &[(&str, T)]) -> R<Vec<T>> {
        let Some(array) = f.item.as_array() else {
            return Err(self.type_err(f, &format!("an array of {}", one_of(options))));
        };
        if array.is_empty() {
            return Err(self.err(f.at, format!("`{}` must not be empty: list some of {}", f.key, one_of(options))));
        }
        array
            .iter()
            .map(|v| {
                let at = v.span().map_or(f.at, |s| s.start);
                match v.as_str() {
                    Some(s) => self.word(at, &format!("each of `{}`", f.key), s, options),
                    None => Err(self.err(
                        at,
                        format!(
                            "`{}` must list strings ({}), found {}",
                            f.key,
                            one_of(options),
                            kind(&Item::Value(v.clone()))
                        ),
                    )),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_byte_offsets() {
        assert_eq!(words(" p1#3  acked"), vec![(1, "p1#3"), (7, "acked")]);
        assert!(words("   ").is_empty());
    }
}
