//! `[[service]]` in scenario files (issue 12, stage 2): loaded with positions, written back,
//! validated, targeted by faults, and replayed with the user's code (`app::replay`).

use kafkasim::scenario::{parse_str, to_toml, Target};

const BASE: &str = r#"name = "svc"
duration_ms = 60000

[[topic]]
name = "orders"
partitions = 1
replication_factor = 3

[[topic]]
name = "shipments"
partitions = 1
replication_factor = 3

[[producer]]
name = "p1"
topic = "orders"
records = 20

[[producer]]
name = "out"
topic = "shipments"
records = 1000

[[consumer]]
name = "c1"
group = "g1"
topics = ["orders"]
"#;

fn file(rest: &str) -> String {
    format!("{BASE}\n{rest}")
}

fn error(rest: &str) -> String {
    parse_str(&file(rest), "s.toml").expect_err("the file must be refused").to_string()
}

#[test]
fn a_service_table_loads_with_its_fault_target_and_writes_back_equal() {
    let text = file(
        "[[service]]\nname = \"svc\"\nproducers = [\"out\"]\nconsumers = [\"c1\"]\n\n\
         [[fault]]\nat_ms = 30\naction = \"crash\"\ntarget = \"service:svc/0\"\nrestart_after_ms = 500\n",
    );
    let s = parse_str(&text, "s.toml").unwrap();
    assert_eq!(s.services.len(), 1);
    assert_eq!(s.services[0].producers, ["out"]);
    assert_eq!(s.services[0].consumers, ["c1"]);
    assert_eq!(s.faults[0].target, Target::Service { service: 0, instance: Some(0) });
    let written = to_toml(&s);
    assert!(written.contains("[[service]]"), "{written}");
    assert_eq!(parse_str(&written, "w.toml").unwrap(), s);
}

#[test]
fn a_service_owning_an_unknown_table_is_refused_at_the_name_with_the_nearest() {
    let e = error("[[service]]\nname = \"svc\"\nconsumers = [\"c2\"]\n");
    assert!(e.contains("`c2` names no [[consumer]] table; did you mean `c1`?"), "{e}");
    let line = BASE.lines().count() + 4;
    assert!(e.starts_with(&format!("s.toml:{line}:14:")), "{e}");
}

#[test]
fn a_producer_named_as_a_consumer_table_is_refused_naming_its_kind() {
    let e = error("[[service]]\nname = \"svc\"\nconsumers = [\"out\"]\n");
    assert!(e.contains("`out` is a producer, not a consumer"), "{e}");
}

#[test]
fn a_table_owned_by_two_services_is_refused_with_the_first_owners_line() {
    let e =
        error("[[service]]\nname = \"a\"\nconsumers = [\"c1\"]\n\n[[service]]\nname = \"b\"\nconsumers = [\"c1\"]\n");
    assert!(e.contains("consumer `c1` is owned by service `a` already (line"), "{e}");
}

#[test]
fn a_service_whose_instances_differ_from_its_consumer_tables_is_refused() {
    let e = error("[[service]]\nname = \"svc\"\ninstances = 2\nconsumers = [\"c1\"]\n");
    assert!(e.contains("consumer `c1` runs 1 instance(s) but service `svc` runs 2"), "{e}");
}

#[test]
fn a_service_owning_a_producer_with_two_instances_is_refused() {
    let e = error("[[service]]\nname = \"svc\"\ninstances = 2\nproducers = [\"out\"]\n");
    assert!(e.contains("owns producer tables, so it runs 1 instance"), "{e}");
}

#[test]
fn a_service_owning_nothing_is_refused() {
    let e = error("[[service]]\nname = \"svc\"\n");
    assert!(e.contains("service `svc` owns no client"), "{e}");
}

#[test]
fn an_unknown_key_of_a_service_is_refused_with_the_nearest() {
    let e = error("[[service]]\nname = \"svc\"\nconsumer = [\"c1\"]\n");
    assert!(e.contains("did you mean `consumers`?"), "{e}");
}

#[test]
fn a_fault_on_an_unknown_service_is_refused_with_the_nearest() {
    let e = error(
        "[[service]]\nname = \"svc\"\nconsumers = [\"c1\"]\n\n\
         [[fault]]\nat_ms = 30\naction = \"crash\"\ntarget = \"service:svd\"\n",
    );
    assert!(e.contains("`svd` names no service; did you mean `svc`?"), "{e}");
}

#[test]
fn a_fault_on_a_service_instance_it_does_not_run_is_refused() {
    let e = error(
        "[[service]]\nname = \"svc\"\nconsumers = [\"c1\"]\n\n\
         [[fault]]\nat_ms = 30\naction = \"crash\"\ntarget = \"service:svc/3\"\n",
    );
    assert!(e.contains("svc"), "{e}");
    assert!(e.contains('3'), "{e}");
}

#[test]
fn a_power_loss_of_a_service_is_refused() {
    let e = error(
        "[[service]]\nname = \"svc\"\nconsumers = [\"c1\"]\n\n\
         [[fault]]\nat_ms = 30\naction = \"power-loss\"\ntarget = \"service:svc\"\n",
    );
    assert!(e.contains("power-loss applies to brokers"), "{e}");
}
