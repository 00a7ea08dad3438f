//! A Kafka config table (`[cluster.config]`, `[producer.config]`, ...), read through the key
//! table: unknown keys with the nearest valid one, each value's type and range, and the field it
//! sets, all from [`crate::scenario::keys`].

use toml_edit::Value;

use super::{Cx, Field, Tab, R};
use crate::scenario::keys::{self, Binding, ConfigKey, Kind, Val};
use crate::scenario::model::Acks;
use crate::scenario::validate::transaction_timeout_range;

/// `PREFIX."KEY"`, the path `validate` names a config key by.
pub(super) fn key_path(prefix: &str, key: &ConfigKey) -> String {
    format!("{prefix}.\"{}\"", key.name)
}

impl Cx<'_> {
    /// Reads config table `t` (at `path`) into `c` through `bindings`, in the table's order, and
    /// notes where each key stands. `txn_max` is the cluster's `transaction.max.timeout.ms`,
    /// which bounds `transaction.timeout.ms`.
    pub(super) fn config<C>(&self, t: &Tab<'_>, path: &str, bindings: &[Binding<C>], c: &mut C, txn_max: u64) -> R<()> {
        self.config_in(t, path, &[bindings], c, txn_max)
    }

    /// [`Cx::config`] through several binding tables at once (a librdkafka client's two).
    pub(super) fn config_in<C>(
        &self,
        t: &Tab<'_>,
        path: &str,
        tables: &[&[Binding<C>]],
        c: &mut C,
        txn_max: u64,
    ) -> R<()> {
        let names: Vec<&str> = tables.iter().flat_map(|b| b.iter().map(|b| b.key.name)).collect();
        self.check_keys(t, &names)?;
        self.note_table(path, t);
        for b in tables.iter().flat_map(|b| b.iter()) {
            let Some(f) = t.get(b.key.name) else { continue };
            self.note(&key_path(path, b.key), f);
            let v = self.config_value(f, b.key, txn_max)?;
            (b.set)(c, v);
        }
        Ok(())
    }

    /// The value of `f`, of key `key`'s kind and within its range.
    fn config_value(&self, f: Field<'_>, key: &'static ConfigKey, txn_max: u64) -> R<Val> {
        Ok(match key.kind {
            Kind::Int { .. } => {
                let Some(n) = f.item.as_integer() else {
                    return Err(self.type_err(f, "an integer"));
                };
                let problem = if std::ptr::eq(key, &keys::TRANSACTION_TIMEOUT_MS) {
                    transaction_timeout_range(n.into(), txn_max)
                } else {
                    key.range_problem(n.into())
                };
                if let Some(m) = problem {
                    return Err(self.err(f.at, m));
                }
                Val::Int(n as u64)
            }
            Kind::Bool => Val::Bool(self.bool(f)?),
            Kind::Text => {
                let s = self.string(f)?;
                if let Some(m) = key.text_problem(s) {
                    return Err(self.err(f.at, m));
                }
                Val::Text(s.trim().to_string())
            }
            Kind::Choice(words) => {
                let s = self.string(f)?;
                if std::ptr::eq(key, &keys::PROCESSING_GUARANTEE) && keys::REMOVED_GUARANTEES.contains(&s) {
                    return Err(self.err(
                        f.at,
                        format!(
                            "`{}` \"{s}\" was removed in Kafka Streams 4.0; use \"{}\" (or \"{}\")",
                            key.name, words[1], words[0]
                        ),
                    ));
                }
                let options: Vec<(&str, usize)> = words.iter().enumerate().map(|(i, w)| (*w, i)).collect();
                Val::Choice(self.word(f.at, &format!("`{}`", key.name), s, &options)?)
            }
            Kind::Acks => Val::Acks(self.acks(f)?),
        })
    }

    /// `acks`: "all", "-1", "0", "1" (Kafka's spellings) or the integers -1, 0, 1.
    fn acks(&self, f: Field<'_>) -> R<Acks> {
        let bad = |found: String| {
            self.err(
                f.at,
                format!("`{}` must be \"all\", \"-1\", \"0\" or \"1\" (or -1, 0, 1), found {found}", keys::ACKS.name),
            )
        };
        match f.item.as_value() {
            Some(Value::Integer(n)) => match *n.value() {
                0 => Ok(Acks::Zero),
                1 => Ok(Acks::One),
                -1 => Ok(Acks::All),
                other => Err(bad(other.to_string())),
            },
            // Kafka trims string configs before validating them.
            Some(Value::String(s)) => match s.value().trim() {
                "all" | "-1" => Ok(Acks::All),
                "0" => Ok(Acks::Zero),
                "1" => Ok(Acks::One),
                other => Err(bad(format!("\"{other}\""))),
            },
            _ => Err(self.type_err(f, "a string (\"all\", \"-1\", \"0\", \"1\") or an integer")),
        }
    }

    /// Rejects the keys of `moved` written in config table `t`: each is said elsewhere (`group`).
    pub(super) fn moved_keys(&self, t: &Tab<'_>, moved: &[&ConfigKey], table: &str) -> R<()> {
        if let Some(f) = moved.iter().find_map(|k| t.get(k.name)) {
            return Err(self.err(f.key_at, format!("`{}` is written as `group = \"...\"` in {table}, not here", f.key)));
        }
        Ok(())
    }
}
