//! docs/config.md and the JSON Schemas in schemas/ are generated from the
//! types forgectl reads `forgectl.yaml` and the profiles into, so they cannot
//! drift from the parser. This test fails when a file is stale; rewrite them
//! with `FORGECTL_WRITE_REFERENCE=1 cargo test --workspace --test config_reference`.

use std::path::{Path, PathBuf};

use serde_json::Value;

const WRITE: &str = "FORGECTL_WRITE_REFERENCE";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `$ref: "#/$defs/X"` → the definition it names.
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/")) {
        Some(name) => root.pointer(&format!("/$defs/{name}")).map_or(schema, |def| resolve(root, def)),
        None => schema,
    }
}

/// `Option<T>` is `anyOf: [T, null]` (or a type list with "null"): the T.
fn unwrap_optional<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let schema = resolve(root, schema);
    if let Some(variants) = schema.get("anyOf").and_then(Value::as_array) {
        let non_null: Vec<&Value> = variants.iter().filter(|v| v.get("type") != Some(&Value::from("null"))).collect();
        if let [only] = non_null.as_slice() {
            return resolve(root, only);
        }
    }
    schema
}

fn type_of(root: &Value, schema: &Value) -> String {
    let schema = unwrap_optional(root, schema);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(|v| format!("`{}`", v.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(" \\| ");
    }
    if let Some(variants) = schema.get("oneOf").and_then(Value::as_array) {
        let names: Vec<String> = variants
            .iter()
            .filter_map(|v| v.get("const").or_else(|| v.get("enum").and_then(|e| e.get(0))))
            .map(|v| format!("`{}`", v.as_str().unwrap_or_default()))
            .collect();
        if !names.is_empty() {
            return names.join(" \\| ");
        }
    }
    let kinds: Vec<&str> = match schema.get("type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).filter(|k| *k != "null").collect(),
        _ => Vec::new(),
    };
    match kinds.as_slice() {
        ["array"] => format!("list of {}", schema.get("items").map_or("values".into(), |items| type_of(root, items))),
        ["object"] if schema.get("properties").is_none() || same_entries(schema).is_some() => "map".into(),
        [] => "value".into(),
        kinds => kinds.join(" or "),
    }
}

/// An object whose every property has the same schema (a map keyed by an
/// enum, e.g. `roles`): the shared schema and the allowed keys.
fn same_entries(schema: &Value) -> Option<(&Value, Vec<&str>)> {
    let properties = schema.get("properties").and_then(Value::as_object)?;
    let first = properties.values().next()?;
    (properties.len() > 1 && properties.values().all(|value| value == first))
        .then(|| (first, properties.keys().map(String::as_str).collect()))
}

fn description(root: &Value, schema: &Value) -> String {
    let own = schema.get("description");
    let inner = unwrap_optional(root, schema).get("description");
    own.or(inner).and_then(Value::as_str).unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Objects' defaults are shown key by key instead.
fn default_of(schema: &Value) -> String {
    match schema.get("default") {
        None | Some(Value::Null) | Some(Value::Object(_)) => String::new(),
        Some(value) => format!("`{value}`"),
    }
}

/// One row per key, nested objects flattened to dotted paths; map entries
/// appear as `<name>`.
fn rows(root: &Value, schema: &Value, prefix: &str, out: &mut Vec<String>) {
    let schema = unwrap_optional(root, schema);
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map_or(Vec::new(), |r| r.iter().filter_map(Value::as_str).collect());
    for (key, property) in properties {
        let path = format!("{prefix}{key}");
        let required = if required.contains(&key.as_str()) { "yes" } else { "" };
        out.push(format!(
            "| `{path}` | {} | {required} | {} | {} |",
            type_of(root, property),
            default_of(property),
            description(root, property)
        ));
        let inner = unwrap_optional(root, property);
        if let Some((entry, keys)) = same_entries(inner) {
            let keys = keys.iter().map(|key| format!("`{key}`")).collect::<Vec<_>>().join(", ");
            out.push(format!("| `{path}.<key>` | object | | | one of {keys} |"));
            rows(root, entry, &format!("{path}.<key>."), out);
        } else if inner.get("properties").is_some() {
            rows(root, inner, &format!("{path}."), out);
        } else if let Some(entry) = inner.get("additionalProperties").filter(|entry| entry.is_object()) {
            rows(root, entry, &format!("{path}.<name>."), out);
        }
    }
}

fn table(schema: &Value) -> String {
    let mut out =
        vec!["| Key | Type | Required | Default | What it does |".to_string(), "|---|---|---|---|---|".to_string()];
    rows(schema, schema, "", &mut out);
    out.join("\n")
}

fn reference(config: &Value, profile: &Value) -> String {
    format!(
        "# Configuration reference\n\n\
         <!-- generated by cli/tests/config_reference.rs from the types forgectl parses; do not edit -->\n\n\
         Every key of `forgectl.yaml` and of a profile file, with its type, default and\n\
         meaning. Editors validate both with the JSON Schemas in `schemas/`: VS Code's\n\
         YAML extension (and any yaml-language-server client) picks them up from a\n\
         first-line comment such as\n\
         `# yaml-language-server: $schema=schemas/forgectl.schema.json`.\n\n\
         Unknown keys are errors in both files (a misspelt key never falls back to a\n\
         default). String values in `forgectl.yaml` may read the environment with\n\
         `${{VAR}}`.\n\n\
         ## forgectl.yaml\n\n\
         `environments.<name>` is one environment; `--env NAME` picks it.\n\n{}\n\n\
         ## Profiles (`profiles/*.yaml`)\n\n\
         A tier file states what differs from the file it `extends`; maps merge\n\
         key by key, scalars and lists replace. Every key is optional in a file and\n\
         required once the layers are merged (see `forgectl profiles validate`).\n\n{}\n",
        table(config),
        table(profile)
    )
}

fn check_or_write(path: &Path, expected: &str, stale: &mut Vec<String>) {
    if std::env::var_os(WRITE).is_some() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
        }
        std::fs::write(path, expected).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        return;
    }
    let current = std::fs::read_to_string(path).unwrap_or_default();
    if current != expected {
        stale.push(path.display().to_string());
    }
}

#[test]
fn reference_and_schemas_match_the_parser() {
    let config = forgectl::config::json_schema();
    let profile = forgectl::profile::json_schema();
    let root = repo_root();
    let pretty = |value: &Value| serde_json::to_string_pretty(value).map(|text| text + "\n");
    let mut stale = Vec::new();
    check_or_write(
        &root.join("schemas/forgectl.schema.json"),
        &pretty(&config).unwrap_or_else(|err| panic!("{err}")),
        &mut stale,
    );
    check_or_write(
        &root.join("schemas/profile.schema.json"),
        &pretty(&profile).unwrap_or_else(|err| panic!("{err}")),
        &mut stale,
    );
    check_or_write(&root.join("docs/config.md"), &reference(&config, &profile), &mut stale);
    assert!(
        stale.is_empty(),
        "stale: {stale:?}; rewrite with {WRITE}=1 cargo test --workspace --test config_reference"
    );
}

#[test]
fn every_key_of_the_shipped_config_is_documented() {
    let config = forgectl::config::json_schema();
    let doc = reference(&config, &forgectl::profile::json_schema());
    for key in
        ["default_environment", "environments.<name>.services.allow_plain_http", "environments.<name>.client_auth"]
    {
        assert!(doc.contains(&format!("| `{key}` |")), "{key} missing from the reference");
    }
    for key in ["kafka.ebs_volume_gib", "topic_defaults.configs", "roles.<key>.min", "slo.upload_p99_ms"] {
        assert!(doc.contains(&format!("| `{key}` |")), "{key} missing from the reference");
    }
}
