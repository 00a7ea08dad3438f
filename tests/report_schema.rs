//! Every report the CLI prints validates against docs/report.schema.json: each bundled example's
//! JSON (its own seed), a sweep, `--explain`, `--findings all` and an unsettled run. The schema
//! forbids unknown keys, so a key added to the report without the schema fails here.
//!
//! The validator is the subset of JSON Schema (draft 2020-12) the schema uses; it refuses any
//! other keyword, so the schema cannot grow past what this test checks.

mod common;
use common::{kafkasim, temp_file};

use serde_json::Value;

fn schema() -> Value {
    serde_json::from_str(&std::fs::read_to_string("docs/report.schema.json").unwrap()).expect("the schema is JSON")
}

/// The schema's `pattern`s, as predicates (no regex crate in the tree).
fn matches_pattern(pattern: &str, s: &str) -> bool {
    match pattern {
        "^[0-9a-f]{16}$" => s.len() == 16 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "^[0-9]+\\.[0-9]+( \\(zookeeper\\))?$" => {
            let v = s.strip_suffix(" (zookeeper)").unwrap_or(s);
            v.split_once('.').is_some_and(|(a, b)| {
                !a.is_empty() && !b.is_empty() && (a.bytes().chain(b.bytes())).all(|c| c.is_ascii_digit())
            })
        }
        "^.+/[0-9]+$" => s
            .rsplit_once('/')
            .is_some_and(|(t, p)| !t.is_empty() && !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit())),
        other => panic!("the test's validator does not know the pattern {other}"),
    }
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_u64() || v.is_i64(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        other => panic!("unknown type {other}"),
    }
}

/// Errors of `v` against `s`, each with its JSON path.
fn validate(root: &Value, s: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
    let s = s.as_object().expect("a schema is an object");
    for (key, want) in s {
        match key.as_str() {
            "$schema" | "$id" | "title" | "description" | "$defs" => {}
            "$ref" => {
                let name = want.as_str().unwrap().strip_prefix("#/$defs/").expect("local $ref");
                validate(root, &root["$defs"][name], v, path, errors);
            }
            "type" => {
                let ok = match want {
                    Value::String(t) => type_ok(t, v),
                    Value::Array(ts) => ts.iter().any(|t| type_ok(t.as_str().unwrap(), v)),
                    _ => panic!("bad type"),
                };
                if !ok {
                    errors.push(format!("{path}: {v} is not of type {want}"));
                }
            }
            "const" if v != want => errors.push(format!("{path}: {v} is not {want}")),
            "const" => {}
            "enum" if !want.as_array().unwrap().contains(v) => errors.push(format!("{path}: {v} is not one of {want}")),
            "enum" => {}
            "minimum" => {
                if let Some(n) = v.as_f64() {
                    if n < want.as_f64().unwrap() {
                        errors.push(format!("{path}: {n} < {want}"));
                    }
                }
            }
            "pattern" => {
                if let Some(t) = v.as_str() {
                    if !matches_pattern(want.as_str().unwrap(), t) {
                        errors.push(format!("{path}: {t:?} does not match {want}"));
                    }
                }
            }
            "required" => {
                if let Some(o) = v.as_object() {
                    for r in want.as_array().unwrap() {
                        if !o.contains_key(r.as_str().unwrap()) {
                            errors.push(format!("{path}: missing {r}"));
                        }
                    }
                }
            }
            "properties" | "additionalProperties" | "propertyNames" => {
                let Some(o) = v.as_object() else { continue };
                let props = s.get("properties").and_then(Value::as_object);
                for (k, x) in o {
                    let p = format!("{path}.{k}");
                    match (key.as_str(), props.and_then(|ps| ps.get(k))) {
                        ("properties", Some(sub)) => validate(root, sub, x, &p, errors),
                        ("additionalProperties", None) => match want {
                            Value::Bool(false) => errors.push(format!("{p}: not allowed by the schema")),
                            Value::Bool(true) => {}
                            sub => validate(root, sub, x, &p, errors),
                        },
                        ("propertyNames", _) => validate(root, want, &Value::String(k.clone()), &p, errors),
                        _ => {}
                    }
                }
            }
            "items" => {
                if let Some(a) = v.as_array() {
                    for (i, x) in a.iter().enumerate() {
                        validate(root, want, x, &format!("{path}[{i}]"), errors);
                    }
                }
            }
            other => panic!("the test's validator does not know the keyword {other}"),
        }
    }
}

fn assert_valid(lines: &str, what: &str) -> usize {
    let root = schema();
    let mut n = 0;
    for line in lines.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {line}"));
        let mut errors = Vec::new();
        validate(&root, &root, &v, "$", &mut errors);
        assert!(errors.is_empty(), "{what}: the report does not validate:\n{}", errors.join("\n"));
        n += 1;
    }
    n
}

#[test]
fn every_bundled_examples_json_report_validates_against_the_schema() {
    let mut files: Vec<_> = std::fs::read_dir("examples/scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() > 20, "the examples are there");
    for f in &files {
        let (code, out, err) = kafkasim(&["run", f.to_str().unwrap(), "--format", "json"]);
        assert!(code == 0 || code == 1, "{}: exit {code}: {err}", f.display());
        assert_eq!(assert_valid(&out, &f.display().to_string()), 1);
    }
}

#[test]
fn a_sweep_an_explained_record_and_every_finding_validate_too() {
    let (_, out, _) = kafkasim(&[
        "run",
        "examples/scenarios/acks1-leader-failure.toml",
        "--format",
        "json",
        "--findings",
        "all",
        "--explain",
        "p1#299",
    ]);
    assert_eq!(assert_valid(&out, "--explain"), 1);
    let v: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert!(v["explain"].as_array().is_some_and(|a| a.len() > 2), "{v}");
    assert!(v["examples"]["lost_acked"].as_array().is_some_and(|a| a.len() > 3), "--findings all keeps more: {v}");

    let (_, out, _) =
        kafkasim(&["run", "examples/scenarios/acks-all-nemesis-sweep.toml", "--seeds", "1..=4", "--format", "json"]);
    assert_eq!(assert_valid(&out, "sweep"), 4);
}

#[test]
fn an_unsettled_runs_report_validates_with_its_unsettled_counts() {
    let src = std::fs::read_to_string("examples/scenarios/process-then-commit-crash.toml").unwrap();
    let cut =
        src.lines().map(|l| if l.starts_with("duration_ms") { "duration_ms = 3000" } else { l }).collect::<Vec<_>>();
    let path = temp_file("cut-short.toml", &cut.join("\n"));
    let (_, out, _) = kafkasim(&["run", &path, "--format", "json"]);
    assert_eq!(assert_valid(&out, "unsettled"), 1);
    let v: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(v["settled"], false, "{v}");
    assert!(v["unsettled"].as_object().is_some_and(|o| !o.is_empty()), "{v}");
}

#[test]
fn the_validator_refuses_a_report_with_an_unknown_key_or_a_wrong_type() {
    let root = schema();
    let (_, out, _) = kafkasim(&["run", "examples/scenarios/acks1-leader-failure.toml", "--format", "json"]);
    let good: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let mut extra = good.clone();
    extra["surprise"] = Value::Bool(true);
    let mut wrong = good.clone();
    wrong["anomalies"]["lost_acked"] = Value::String("many".into());
    for (bad, what) in [(extra, "surprise"), (wrong, "lost_acked")] {
        let mut errors = Vec::new();
        validate(&root, &root, &bad, "$", &mut errors);
        assert!(errors.iter().any(|e| e.contains(what)), "{what}: {errors:?}");
    }
}
