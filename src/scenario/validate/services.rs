//! `[[service]]`: the tables a service owns exist, each is owned once, and the instance counts
//! agree (docs/services.md, "Rules").

use super::{bad_client_name, Problem};
use crate::scenario::model::Scenario;
use crate::scenario::spell::nearest;

pub(super) fn check(s: &Scenario, out: &mut Vec<Problem>) {
    // Who owns each table so far: (kind, table) → the path that claimed it and the service.
    let mut owned: Vec<(&str, &str, String, &str)> = Vec::new();
    for (i, svc) in s.services.iter().enumerate() {
        let here = format!("service[{i}]");
        if let Some(m) = bad_client_name(&svc.name, "service") {
            out.push(Problem::new(format!("{here}.name"), m.replacen("client name", "service name", 1)));
        }
        if let Some(j) = s.services[..i].iter().position(|x| x.name == svc.name) {
            out.push(
                Problem::new(
                    format!("{here}.name"),
                    format!("service name `{}` is already used at service[{j}].name", svc.name),
                )
                .refers(format!("service[{j}].name")),
            );
        }
        if svc.producers.is_empty() && svc.consumers.is_empty() {
            out.push(Problem::new(
                format!("{here}.name"),
                format!(
                    "service `{}` owns no client: list the tables whose clients its code creates in `producers = [...]` \
                     and `consumers = [...]`",
                    svc.name
                ),
            ));
        }
        if svc.instances == 0 {
            out.push(
                Problem::new(format!("{here}.instances"), "`instances` must be at least 1")
                    .or_at(format!("{here}.name")),
            );
        }
        for (kind, list) in [("producer", &svc.producers), ("consumer", &svc.consumers)] {
            for (j, table) in list.iter().enumerate() {
                let path = format!("{here}.{kind}s[{j}]");
                if let Some(m) = unknown_table(s, kind, table) {
                    out.push(Problem::new(path, m));
                    continue;
                }
                if let Some((_, _, first, by)) = owned.iter().find(|(k, t, ..)| *k == kind && *t == table) {
                    let whose = if *by == svc.name { "this service".to_string() } else { format!("service `{by}`") };
                    out.push(
                        Problem::new(
                            path.clone(),
                            format!(
                                "{kind} `{table}` is owned by {whose} already ({first}): one process runs each client"
                            ),
                        )
                        .refers(first.clone()),
                    );
                    continue;
                }
                owned.push((kind, table, path.clone(), &svc.name));
                if kind == "consumer" {
                    let c = s.consumers.iter().find(|c| &c.name == table).expect("checked above");
                    if c.instances != svc.instances && svc.instances > 0 {
                        out.push(Problem::new(
                            path,
                            format!(
                                "consumer `{table}` runs {} instance(s) but service `{}` runs {}: instance K of a service \
                                 is member K of each of its consumer tables, so the counts must agree",
                                c.instances, svc.name, svc.instances
                            ),
                        ));
                    }
                }
            }
        }
        outputs(s, svc, &here, out);
        if !svc.producers.is_empty() && svc.instances > 1 {
            out.push(
                Problem::new(
                    format!("{here}.instances"),
                    format!(
                        "service `{}` owns producer tables, so it runs 1 instance: a [[producer]] table is one producer \
                         process (several instances of such a service are not supported yet)",
                        svc.name
                    ),
                )
                .or_at(format!("{here}.name")),
            );
        }
    }
}

/// `outputs`: tables the service owns, of a service reading one topic through one consumer
/// table, each numbering its records by the inputs' global numbers (so it needs as many).
fn outputs(s: &Scenario, svc: &crate::scenario::ServiceSpec, here: &str, out: &mut Vec<Problem>) {
    if svc.outputs.is_empty() {
        return;
    }
    let input = match svc.consumers.as_slice() {
        [c] => s.consumers.iter().find(|x| &x.name == c).and_then(|c| match c.topics.as_slice() {
            [t] => Some(t.as_str()),
            _ => None,
        }),
        _ => None,
    };
    let Some(input) = input else {
        out.push(Problem::new(
            format!("{here}.outputs"),
            format!(
                "service `{}` has outputs, so it reads one topic through one [[consumer]] table (its input): the \
                 checker judges each output by the input record it was made from",
                svc.name
            ),
        ));
        return;
    };
    // Inputs are numbered across the producers, in file order: an output's index is its input's.
    let mut end = 0u32;
    let mut next = 0u32;
    for p in &s.producers {
        next = next.saturating_add(p.records);
        if p.topic == input {
            end = next;
        }
    }
    for (j, table) in svc.outputs.iter().enumerate() {
        let path = format!("{here}.outputs[{j}]");
        if !svc.producers.contains(table) {
            out.push(Problem::new(
                path,
                format!("`{table}` is in `outputs` but not in `producers`: the service owns its output tables"),
            ));
            continue;
        }
        if let Some(p) = s.producers.iter().find(|p| &p.name == table) {
            if p.records < end {
                out.push(Problem::new(
                    path,
                    format!(
                        "producer `{table}` numbers its outputs by their inputs' numbers, which reach {end} (the records \
                         of the producers before it and of those writing `{input}`): set its `records` to at least {end}"
                    ),
                ));
            }
        }
    }
}

/// Why `table` names no `[[kind]]` table, if it does not: its actual kind, or the nearest name.
fn unknown_table(s: &Scenario, kind: &str, table: &str) -> Option<String> {
    let producers: Vec<&str> = s.producers.iter().map(|p| p.name.as_str()).collect();
    let consumers: Vec<&str> = s.consumers.iter().map(|c| c.name.as_str()).collect();
    let processors: Vec<&str> = s.processors.iter().map(|p| p.name.as_str()).collect();
    let names = if kind == "producer" { &producers } else { &consumers };
    if names.contains(&table) {
        return None;
    }
    for (other, list) in [("producer", &producers), ("consumer", &consumers), ("processor", &processors)] {
        if list.contains(&table) {
            return Some(format!(
                "`{table}` is a {other}, not a {kind}: a service owns [[producer]] and [[consumer]] tables"
            ));
        }
    }
    let hint = match nearest(table, names.iter().copied()) {
        Some(n) => format!("; did you mean `{n}`?"),
        None => format!(" (the file declares no [[{kind}]])"),
    };
    Some(format!("`{table}` names no [[{kind}]] table{hint}"))
}
