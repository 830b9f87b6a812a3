//! The JSON Schemas in docs/ (scenario and sweep plan files, generated from the types):
//! current, accepting every shipped file, and refusing what `check` refuses for its
//! shape (an unknown field, a wrong type, a missing one).

use serde_json::{json, Value};
use zkarena::scenario::shipped_sources;
use zkarena::sweep::plan::shipped_plans;

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::validator_for(schema).expect("a valid JSON Schema")
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn the_schemas_in_docs_are_current() {
    for (file, schema) in [
        (
            "docs/scenario.schema.json",
            zkarena::scenario::json_schema(),
        ),
        ("docs/plan.schema.json", zkarena::sweep::plan::json_schema()),
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        if std::env::var("UPDATE_SCHEMAS").is_ok() {
            std::fs::write(&path, &text).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "{file} is not current: regenerate it with `zkarena schema` (or UPDATE_SCHEMAS=1 cargo test --test schema)"
        );
    }
}

#[test]
fn every_shipped_scenario_and_plan_fits_its_schema() {
    let scenarios = validator(&zkarena::scenario::json_schema());
    for (name, text) in shipped_sources() {
        let doc: Value = serde_json::from_str(text).unwrap();
        let e = errors(&scenarios, &doc);
        assert!(e.is_empty(), "{name}: {e:?}");
    }
    let plans = validator(&zkarena::sweep::plan::json_schema());
    for (name, text) in shipped_plans() {
        let doc: Value = serde_json::from_str(text).unwrap();
        let e = errors(&plans, &doc);
        assert!(e.is_empty(), "{name}: {e:?}");
    }
}

/// A change to a scenario's JSON.
type Change = Box<dyn Fn(&mut Value)>;

#[test]
fn the_scenario_schema_refuses_what_check_refuses_for_its_shape() {
    let schema = validator(&zkarena::scenario::json_schema());
    let base: Value = serde_json::from_str(
        shipped_sources()
            .iter()
            .find(|(n, _)| *n == "poe-frontrun")
            .unwrap()
            .1,
    )
    .unwrap();
    let cases: Vec<(&str, Change)> = vec![
        (
            "an unknown top-level field",
            Box::new(|v| v["slotz"] = json!(3)),
        ),
        (
            "an unknown field of a cast member",
            Box::new(|v| v["cast"][0]["speed"] = json!(3)),
        ),
        (
            "an unknown role",
            Box::new(|v| v["cast"][0]["role"] = json!("oracle")),
        ),
        ("a wrong type", Box::new(|v| v["slots"] = json!("many"))),
        (
            "a negative count",
            Box::new(|v| v["workload"]["users"] = json!(-1)),
        ),
        (
            "no description",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("description");
            }),
        ),
        (
            "an unknown mechanism",
            Box::new(|v| v["mechanism"]["kind"] = json!("pow")),
        ),
        (
            "an unknown comparison",
            Box::new(|v| v["expect"][0]["op"] = json!("=>")),
        ),
    ];
    for (what, change) in cases {
        let mut doc = base.clone();
        change(&mut doc);
        assert!(
            !errors(&schema, &doc).is_empty(),
            "the schema accepts {what}"
        );
        let parsed = zkarena::scenario::Scenario::parse(&doc.to_string(), "case.json", "case");
        assert!(parsed.is_err(), "check accepts {what}");
    }
}
