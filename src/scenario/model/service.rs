//! `[[service]]`: a user service (Rust code written against `kafkasim::rdkafka`) and the client
//! tables whose clients its code creates (docs/services.md).

/// A user service: one process per instance that runs the code `Apps::service` registers under
/// `name`, owning the clients of the `[[producer]]` and `[[consumer]]` tables it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    /// Unique name; `service:NAME` targets it.
    pub name: String,
    /// Processes of the service; instance K owns instance K of each of its consumer tables.
    pub instances: u32,
    /// `[[producer]]` tables (by name) whose producer the code creates: the n-th
    /// `FutureProducer` it creates is the n-th table's.
    pub producers: Vec<String>,
    /// `[[consumer]]` tables (by name) whose members the code creates, in creation order.
    pub consumers: Vec<String>,
    /// Producer tables (of `producers`) whose records are outputs of the service's input: each
    /// names the input it was made from (its lineage), and the checker judges the service by
    /// them as it judges a `[[processor]]` (docs/services.md, "Judged by its outputs").
    pub outputs: Vec<String>,
}

impl ServiceSpec {
    /// A service `name` with one instance that owns no clients yet.
    pub fn new(name: &str) -> Self {
        ServiceSpec {
            name: name.to_string(),
            instances: 1,
            producers: Vec::new(),
            consumers: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// The same service owning `[[producer]]` `table` too.
    pub fn producer(mut self, table: &str) -> Self {
        self.producers.push(table.to_string());
        self
    }

    /// The same service owning `[[producer]]` `table` too, whose records are outputs of its input.
    pub fn output(mut self, table: &str) -> Self {
        self.producers.push(table.to_string());
        self.outputs.push(table.to_string());
        self
    }

    /// The same service owning `[[consumer]]` `table` too.
    pub fn consumer(mut self, table: &str) -> Self {
        self.consumers.push(table.to_string());
        self
    }
}

impl super::Scenario {
    /// Why the scenario cannot run without the user's code (`None` when it names no
    /// `[[service]]`): the message `kafkasim run` and [`crate::run_seed`] refuse it with.
    pub fn needs_user_code(&self) -> Option<String> {
        let svc = self.services.first()?;
        let others = match self.services.len() {
            1 => String::new(),
            n => format!(" (and {} more service(s))", n - 1),
        };
        Some(format!(
            "[[service]] `{name}`{others} runs your own Rust code, which this run does not have: replay the file \
             from Rust with `kafkasim::app::replay(FILE, SEED, &Apps::new().service(\"{name}\", your_code))` \
             (docs/services.md)",
            name = svc.name
        ))
    }

    /// The client targets a service (instance `instance`, or every one) stands for: its
    /// producer tables' processes and its consumer tables' members. A table name that matches
    /// no table stands for nothing (`validate` refuses it).
    pub fn service_targets(&self, service: usize, instance: Option<u32>) -> Vec<super::Target> {
        let Some(svc) = self.services.get(service) else { return Vec::new() };
        let producers = svc
            .producers
            .iter()
            .filter_map(|n| self.producers.iter().position(|p| &p.name == n))
            .map(super::Target::Producer);
        let consumers = svc
            .consumers
            .iter()
            .filter_map(|n| self.consumers.iter().position(|c| &c.name == n))
            .map(|consumer| super::Target::Consumer { consumer, instance });
        producers.chain(consumers).collect()
    }
}
