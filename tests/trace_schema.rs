//! `schemas/trace.schema.json` (README → Traces) holds for what billc writes: the README run's
//! `trace.json` and `billc explain --format json` of each of its invoices, validated with the
//! `jsonschema` crate (draft 2020-12); and the schema is strict enough to refuse a trace whose
//! amounts are JSON numbers, whose node has an unknown field, or that names another schema.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use serde_json::Value as Json;

fn validator() -> jsonschema::Validator {
    let schema: Json = serde_json::from_str(&std::fs::read_to_string("schemas/trace.schema.json").unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

/// The schema's complaints about `doc`, one line each (empty when it is valid).
fn errors(v: &jsonschema::Validator, doc: &Json) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn trace_json_and_explain_json_follow_the_schema() {
    let v = validator();
    let (_out, folder) = common::readme_run();
    let trace: Json = serde_json::from_str(&std::fs::read_to_string(folder.join("trace.json")).unwrap()).unwrap();
    assert_eq!(errors(&v, &trace), Vec::<String>::new());
    let invoices = trace["invoices"].as_array().unwrap();
    assert_eq!(invoices.len(), 45);
    for inv in invoices {
        let number = inv["number"].as_str().unwrap();
        let doc = common::explain_json(&folder, number);
        assert_eq!(errors(&v, &doc), Vec::<String>::new(), "{number}");
    }

    // What the schema refuses: an amount as a JSON number, an unknown field, another schema.
    let mut bad = trace.clone();
    bad["invoices"][0]["total"] = serde_json::json!(8427.41);
    assert!(!errors(&v, &bad).is_empty());
    let mut bad = trace.clone();
    bad["invoices"][0]["lines"][0]["trace"]["colour"] = Json::from("red");
    assert!(!errors(&v, &bad).is_empty());
    let mut bad = trace;
    bad["schema"] = Json::from(2);
    assert!(!errors(&v, &bad).is_empty());
}
