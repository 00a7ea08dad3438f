//! Every `[[fault]]`: its trigger and target, with the client names resolved to the model's
//! indices (so a name that names no client is the loader's error, with the nearest name).

use super::value::words;
use super::{Cx, Field, Str, Tab, R};
use crate::scenario::model::{ClientRef, FaultAction, FaultSpec, Scenario, Target, Trigger};
use crate::scenario::spell::{
    levenshtein, nearest, one_of, CLIENT_EVENTS, CONTROLLER, COORDINATOR_KINDS, FAULT_ACTIONS, RECORD_EVENTS,
    TARGET_KINDS,
};
use crate::scenario::validate::undeclared_topic;

pub(super) const FAULT_KEYS: &[&str] =
    &["at_ms", "after", "action", "target", "between", "and", "restart_after_ms", "duration_ms", "pin"];

/// The forms of a target string, for messages (a side of a partition may also be `controller`).
const TARGET_FORMS: &[&str] = &[
    "broker:N",
    "leader:TOPIC/P",
    "producer:NAME",
    "consumer:NAME",
    "consumer:NAME/K",
    "processor:NAME",
    "processor:NAME/K",
    "service:NAME",
    "service:NAME/K",
    "coordinator:group:GROUP",
    "coordinator:transaction:ID",
];

impl Cx<'_> {
    /// One `[[fault]]` at `here`; `s` holds what the file declared before it.
    pub(super) fn fault(&self, t: &Tab<'_>, here: &str, s: &Scenario) -> R<FaultSpec> {
        self.check_keys(t, FAULT_KEYS)?;
        self.note_table(here, t);
        let trigger = match (t.get("at_ms"), t.get("after")) {
            (Some(_), Some(after)) => {
                return Err(self.err(after.key_at, "a fault has one trigger, `at_ms` or `after`, not both"));
            }
            (Some(f), None) => {
                let at_ms = self.u64_min(f, 0)?;
                if at_ms > s.duration_ms {
                    let duration_ms = s.duration_ms;
                    self.warn(
                        f.at,
                        format!("this fault can never fire: at_ms {at_ms} is past duration_ms {duration_ms}"),
                    );
                }
                Trigger::AtMs(at_ms)
            }
            (None, Some(f)) => {
                self.note(&format!("{here}.after"), f);
                self.trigger(f, s)?
            }
            (None, None) => {
                return Err(self.err(
                    t.at,
                    "a fault needs a trigger: `at_ms = T` or `after = \"P#I EVENT\"` / \
                     `after = \"CLIENT EVENT N\"`",
                ));
            }
        };
        let action_f = self.required(t, "action")?;
        let action = self.choice(action_f, FAULT_ACTIONS)?;
        let target = if action == FaultAction::Partition {
            if let Some(f) = t.get("target") {
                return Err(self.err(
                    f.key_at,
                    "a partition has two sides, not a `target`: write `between = [TARGETS]` and \
                     `and = [TARGETS]`",
                ));
            }
            let [between, and] = ["between", "and"].map(|key| self.side(t, here, key, s));
            Target::Sides { between: between?, and: and? }
        } else {
            if let Some(f) = t.get("between").or_else(|| t.get("and")) {
                return Err(self.err(
                    f.key_at,
                    format!(
                        "`{}` names a side of a partition (`action = \"partition\"`); `{}` takes one `target`",
                        f.key,
                        action.as_str()
                    ),
                ));
            }
            let target_f = self.required(t, "target")?;
            self.note(&format!("{here}.target"), target_f);
            self.target(self.str_of(target_f)?, "`target`", s)?
        };
        let mut durations = [None, None];
        for (slot, (key, min)) in durations.iter_mut().zip([("restart_after_ms", 0), ("duration_ms", 1)]) {
            if let Some(f) = t.get(key) {
                self.note(&format!("{here}.{key}"), f);
                *slot = Some(self.u64_min(f, min)?);
            }
        }
        let [restart_after_ms, duration_ms] = durations;
        let pin = match t.get("pin") {
            Some(f) => {
                self.note(&format!("{here}.pin"), f);
                self.bool(f)?
            }
            None => false,
        };
        Ok(FaultSpec { trigger, action, target, restart_after_ms, duration_ms, pin })
    }

    /// A partition's side `key` (`between` or `and`): an array of target strings, each noted as
    /// `HERE.KEY[J]`. Whether it is empty, or names a node the other side names, is `validate`'s.
    fn side(&self, t: &Tab<'_>, here: &str, key: &str, s: &Scenario) -> R<Vec<Target>> {
        let Some(f) = t.get(key) else {
            return Err(self.err(
                t.at,
                format!(
                    "missing required key `{key}` in [[fault]]: a partition has two sides, \
                     `between = [TARGETS]` and `and = [TARGETS]`"
                ),
            ));
        };
        self.note(&format!("{here}.{key}"), f);
        let Some(array) = f.item.as_array() else {
            return Err(self.type_err(f, "an array of targets (e.g. [\"broker:1\", \"controller\"])"));
        };
        let mut side = Vec::with_capacity(array.len());
        for (j, v) in array.iter().enumerate() {
            let at = v.span().map_or(f.at, |sp| sp.start);
            let Some(text) = v.as_str() else {
                return Err(self.err(
                    at,
                    format!(
                        "`{key}` must list target strings, found {}",
                        super::value::kind(&toml_edit::Item::Value(v.clone()))
                    ),
                ));
            };
            let element = Str { text, at, plain_from: self.plain_from(v.span(), text) };
            self.note_str(&format!("{here}.{key}[{j}]"), f.key_at, element);
            side.push(self.target(element, &format!("each of `{key}`"), s)?);
        }
        Ok(side)
    }

    /// A target string (`what` names it in messages: "`target`", "each of `between`"):
    /// `"broker:N" | "leader:TOPIC/P" | "producer:NAME" | "consumer:NAME[/K]" |
    /// "processor:NAME[/K]" | "coordinator:group:GROUP" | "coordinator:transaction:ID" |
    /// "controller"`. Where `controller` may stand is `validate`'s.
    fn target(&self, v: Str<'_>, what: &str, s: &Scenario) -> R<Target> {
        let brokers = s.cluster.brokers;
        let text = v.text;
        if text == CONTROLLER {
            return Ok(Target::Controller);
        }
        let Some((kind, rest)) = text.split_once(':') else {
            let side = what != "`target`";
            let forms: Vec<(&str, ())> =
                TARGET_FORMS.iter().chain(side.then_some(&CONTROLLER)).map(|f| (*f, ())).collect();
            let hint = match side && levenshtein(text, CONTROLLER) <= 3 {
                true => format!("; did you mean \"{CONTROLLER}\"?"),
                false => String::new(),
            };
            return Err(self.err(v.at, format!("{what} must be {}, found \"{text}\"{hint}", one_of(&forms))));
        };
        let rest_at = v.inside(kind.len() + 1);
        match kind {
            "broker" => match rest.parse::<u32>() {
                Ok(b) => Ok(Target::Broker(b)),
                Err(_) => Err(self
                    .err(rest_at, format!("`broker:N` needs a broker number from 1 to {brokers}, found \"{rest}\""))),
            },
            "leader" => {
                let Some((topic, partition)) = rest.rsplit_once('/') else {
                    return Err(
                        self.err(rest_at, format!("`leader:TOPIC/P` needs a topic and a partition, found \"{rest}\""))
                    );
                };
                let Some(declared) = s.topics.iter().find(|t| t.name == topic) else {
                    return Err(self.err(rest_at, undeclared_topic(topic, &s.topics).unwrap_or_default()));
                };
                let p_at = v.inside(kind.len() + 1 + topic.len() + 1);
                match partition.parse::<u32>() {
                    Ok(p) => Ok(Target::Leader { topic: topic.to_string(), partition: p }),
                    Err(_) => Err(self.err(
                        p_at,
                        format!(
                            "`leader:{topic}/P` needs a partition number from 0 to {}, found \"{partition}\"",
                            declared.partitions.saturating_sub(1)
                        ),
                    )),
                }
            }
            "producer" if rest.is_empty() => {
                Err(self.err(rest_at, "`producer:NAME` needs a producer name after the colon"))
            }
            "producer" => Ok(Target::Producer(self.client_index(rest_at, "producer", rest, s)?)),
            "consumer" => {
                let (consumer, instance) = self.member_target(v, kind, rest, s)?;
                Ok(Target::Consumer { consumer, instance })
            }
            "processor" => {
                let (processor, instance) = self.member_target(v, kind, rest, s)?;
                Ok(Target::Processor { processor, instance })
            }
            "service" => self.service_target(v, rest, s),
            "coordinator" => {
                let (which, id) = rest.split_once(':').unwrap_or((rest, ""));
                let group = self.word(rest_at, "the coordinator kind", which, COORDINATOR_KINDS)?;
                let id_at = v.inside(kind.len() + 1 + which.len() + 1);
                match (group, id.is_empty()) {
                    (false, true) => {
                        Err(self
                            .err(id_at, "`coordinator:transaction:ID` needs a transactional id after `transaction:`"))
                    }
                    (true, true) => Err(self.err(id_at, "`coordinator:group:GROUP` needs a group id after `group:`")),
                    (false, false) => Ok(Target::TxnCoordinator(id.to_string())),
                    (true, false) => Ok(Target::GroupCoordinator(id.to_string())),
                }
            }
            CONTROLLER => Err(self
                .err(rest_at, "`controller` names the KRaft controller quorum as one node and takes nothing after it")),
            other => {
                let hint = nearest(other, TARGET_KINDS.iter().copied())
                    .map(|n| format!("; did you mean `{n}`?"))
                    .unwrap_or_default();
                Err(self.err(v.at, format!("unknown target kind `{other}`{hint}")))
            }
        }
    }

    /// `consumer:NAME[/K]` or `processor:NAME[/K]` (`kind` says which, `rest` is what follows the
    /// colon of `v`): the client's index, and the instance when one is named.
    fn member_target(&self, v: Str<'_>, kind: &str, rest: &str, s: &Scenario) -> R<(usize, Option<u32>)> {
        let rest_at = v.inside(kind.len() + 1);
        let (name, instance) = match rest.split_once('/') {
            Some((name, k)) => (name, Some(k)),
            None => (rest, None),
        };
        if name.is_empty() {
            return Err(self.err(rest_at, format!("`{kind}:NAME` needs a {kind} name after the colon")));
        }
        let i = self.client_index(rest_at, kind, name, s)?;
        let Some(k) = instance else {
            return Ok((i, None));
        };
        let k_at = v.inside(kind.len() + 1 + name.len() + 1);
        let instances = if kind == "consumer" { s.consumers[i].instances } else { s.processors[i].instances };
        match k.parse::<u32>() {
            Ok(k) => Ok((i, Some(k))),
            Err(_) => {
                let runs = if instances == 1 {
                    format!("{kind} `{name}` runs 1 instance, 0")
                } else {
                    format!("{kind} `{name}` runs {instances} instances, 0 to {}", instances - 1)
                };
                Err(self.err(k_at, format!("`{kind}:{name}/K` needs an instance number, found \"{k}\": {runs}")))
            }
        }
    }

    /// `service:NAME[/K]` (`rest` is what follows the colon of `v`).
    fn service_target(&self, v: Str<'_>, rest: &str, s: &Scenario) -> R<Target> {
        let rest_at = v.inside("service:".len());
        let (name, k) = rest.split_once('/').map_or((rest, None), |(n, k)| (n, Some(k)));
        if name.is_empty() {
            return Err(self.err(rest_at, "`service:NAME` needs a service name after the colon"));
        }
        let Some(service) = s.services.iter().position(|x| x.name == name) else {
            let hint = match nearest(name, s.services.iter().map(|x| x.name.as_str())) {
                Some(n) => format!("; did you mean `{n}`?"),
                None if s.services.is_empty() => " (the file declares no [[service]])".into(),
                None => String::new(),
            };
            return Err(self.err(rest_at, format!("`{name}` names no service{hint}")));
        };
        let Some(k) = k else {
            return Ok(Target::Service { service, instance: None });
        };
        match k.parse::<u32>() {
            Ok(k) => Ok(Target::Service { service, instance: Some(k) }),
            Err(_) => {
                let n = s.services[service].instances;
                Err(self.err(
                    v.inside("service:".len() + name.len() + 1),
                    format!("`service:{name}/K` needs an instance number, found \"{k}\": 0 to {}", n - 1),
                ))
            }
        }
    }

    /// The client called `name`, or an error naming the nearest client of any kind.
    fn client(&self, at: usize, name: &str, s: &Scenario) -> R<ClientRef> {
        if let Some(i) = s.producers.iter().position(|p| p.name == name) {
            return Ok(ClientRef::Producer(i));
        }
        if let Some(i) = s.consumers.iter().position(|c| c.name == name) {
            return Ok(ClientRef::Consumer(i));
        }
        if let Some(i) = s.processors.iter().position(|p| p.name == name) {
            return Ok(ClientRef::Processor(i));
        }
        let all = s
            .producers
            .iter()
            .map(|p| p.name.as_str())
            .chain(s.consumers.iter().map(|c| c.name.as_str()))
            .chain(s.processors.iter().map(|p| p.name.as_str()));
        let hint = match nearest(name, all) {
            Some(n) => format!("; did you mean `{n}`?"),
            None => " (the file declares no [[producer]], [[consumer]] or [[processor]])".into(),
        };
        Err(self.err(at, format!("`{name}` names no client{hint}")))
    }

    /// The index of the client of kind `kind` ("producer", "consumer" or "processor") called
    /// `name`, or an error naming its actual kind or the nearest client of that kind.
    fn client_index(&self, at: usize, kind: &str, name: &str, s: &Scenario) -> R<usize> {
        let kinds: [(&str, Vec<&str>); 3] = [
            ("producer", s.producers.iter().map(|p| p.name.as_str()).collect()),
            ("consumer", s.consumers.iter().map(|c| c.name.as_str()).collect()),
            ("processor", s.processors.iter().map(|p| p.name.as_str()).collect()),
        ];
        let names = kinds.iter().find(|(k, _)| *k == kind).map(|(_, n)| n.as_slice()).unwrap_or_default();
        if let Some(i) = names.iter().position(|n| *n == name) {
            return Ok(i);
        }
        if let Some((other, _)) = kinds.iter().find(|(_, n)| n.contains(&name)) {
            return Err(self.err(at, format!("`{name}` is a {other}, not a {kind}")));
        }
        let hint = match nearest(name, names.iter().copied()) {
            Some(n) => format!("; did you mean `{n}`?"),
            None => format!(" (the file declares no [[{kind}]])"),
        };
        Err(self.err(at, format!("`{name}` names no client{hint}")))
    }

    /// `after = "P#I EVENT"` or `after = "CLIENT EVENT N"`: the grammar and the names; whether
    /// the record and the event can happen is `validate`'s.
    fn trigger(&self, f: Field<'_>, s: &Scenario) -> R<Trigger> {
        let text = self.string(f)?;
        let w = words(text);
        let grammar = || {
            self.err(
                f.at,
                format!(
                    "`after` must be \"P#I EVENT\" (e.g. \"p1#17 acked\") or \"CLIENT EVENT N\" \
                     (e.g. \"p1 acked 10\"), found \"{text}\""
                ),
            )
        };
        match w.as_slice() {
            [(at0, record), (at1, event)] => {
                let Some((client, index)) = record.split_once('#') else {
                    return Err(grammar());
                };
                let producer = self.client_index(self.inside(f, *at0), "producer", client, s)?;
                let index_at = self.inside(f, at0 + client.len() + 1);
                let Ok(index) = index.parse::<u32>() else {
                    return Err(
                        self.err(index_at, format!("`{record}`: the record index must be a number, found \"{index}\""))
                    );
                };
                let event = self.word(self.inside(f, *at1), "the record event", event, RECORD_EVENTS)?;
                Ok(Trigger::Record { producer, index, event })
            }
            [(at0, client), (at1, event), (at2, n)] if !client.contains('#') => {
                let client = self.client(self.inside(f, *at0), client, s)?;
                let event = self.word(self.inside(f, *at1), "the client event", event, CLIENT_EVENTS)?;
                match n.parse::<u64>() {
                    Ok(n) => Ok(Trigger::Client { client, event, n }),
                    Err(_) => Err(self.err(
                        self.inside(f, *at2),
                        format!("the count N in \"CLIENT EVENT N\" must be at least 1, found \"{n}\""),
                    )),
                }
            }
            _ => Err(grammar()),
        }
    }
}
