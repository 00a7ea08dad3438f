//! `[expect]`: each anomaly's bound, in file order.

use toml_edit::Value;

use super::{Cx, Field, Tab, R};
use crate::record::Anomaly;
use crate::scenario::model::{Bound, Expectation};

/// Parses an `[expect]` string bound: "N", ">N", ">=N", "<=N" or "<N", whitespace tolerated.
fn parse_bound(s: &str) -> Option<Bound> {
    let t = s.trim();
    let (make, rest): (fn(u64) -> Bound, &str) = if let Some(r) = t.strip_prefix(">=") {
        (Bound::Ge, r)
    } else if let Some(r) = t.strip_prefix("<=") {
        (Bound::Le, r)
    } else if let Some(r) = t.strip_prefix('>') {
        (Bound::Gt, r)
    } else if let Some(r) = t.strip_prefix('<') {
        (Bound::Lt, r)
    } else {
        (Bound::Eq, t)
    };
    let rest = rest.trim();
    if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok().map(make)
}

impl Cx<'_> {
    /// `[expect]`, in file order.
    pub(super) fn expect(&self, t: &Tab<'_>) -> R<Vec<Expectation>> {
        self.check_keys(t, &Anomaly::NAMES)?;
        let mut out = Vec::new();
        for (k, _) in t.t.iter() {
            // `check_keys` has named the nearest anomaly for any other key.
            let (Some(f), Ok(anomaly)) = (t.get(k), k.parse::<Anomaly>()) else { continue };
            out.push(Expectation { anomaly, bound: self.bound(f)? });
        }
        Ok(out)
    }

    /// One `[expect]` value: a count (exactly) or a comparison string.
    fn bound(&self, f: Field<'_>) -> R<Bound> {
        let usage = "a count (0) or a comparison (\"0\", \">0\", \">=N\", \"<=N\", \"<N\")";
        let bound = match f.item.as_value() {
            Some(Value::Integer(n)) => {
                let n = *n.value();
                if n < 0 {
                    return Err(
                        self.err(f.at, format!("`{}` must be {usage}, found {n}: counts are never negative", f.key))
                    );
                }
                Bound::Eq(n as u64)
            }
            Some(Value::String(s)) => match parse_bound(s.value()) {
                Some(b) => b,
                None => {
                    return Err(self.err(f.at, format!("`{}` must be {usage}, found \"{}\"", f.key, s.value())));
                }
            },
            _ => return Err(self.type_err(f, usage)),
        };
        if bound == Bound::Lt(0) {
            return Err(self.err(f.at, format!("`{}` = \"<0\" can never hold: counts are never negative", f.key)));
        }
        Ok(bound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_parse_with_whitespace_and_reject_junk() {
        assert_eq!(parse_bound("0"), Some(Bound::Eq(0)));
        assert_eq!(parse_bound(" > 0 "), Some(Bound::Gt(0)));
        assert_eq!(parse_bound(">=12"), Some(Bound::Ge(12)));
        assert_eq!(parse_bound("<= 3"), Some(Bound::Le(3)));
        assert_eq!(parse_bound("<7"), Some(Bound::Lt(7)));
        for junk in ["", ">", "=>1", "==1", "1.5", "-1", "+1", "> x", "99999999999999999999"] {
            assert_eq!(parse_bound(junk), None, "{junk:?}");
        }
    }
}
