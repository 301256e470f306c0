//! The server matches `openapi.yaml`: every documented route exists, every
//! status the server returns in the scenarios below is documented for its
//! operation, and every JSON body validates against the documented schema.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use serde_norway::Value as Yaml;
use support::*;

fn spec() -> Yaml {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

fn resolve<'a>(spec: &'a Yaml, node: &'a Yaml) -> &'a Yaml {
    match node.get("$ref").and_then(Yaml::as_str) {
        Some(r) => {
            let mut cur = spec;
            for part in r.trim_start_matches("#/").split('/') {
                cur = cur.get(part).unwrap_or_else(|| panic!("dangling $ref {r}"));
            }
            resolve(spec, cur)
        }
        None => node,
    }
}

/// A small JSON-schema check: type, required, properties, enum, items.
fn validate(spec: &Yaml, schema: &Yaml, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(spec, schema);
    if let Some(t) = schema.get("type").and_then(Yaml::as_str) {
        let ok = match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            _ => true,
        };
        if !ok {
            return Err(format!("{at}: expected {t}, got {value}"));
        }
    }
    if let Some(en) = schema.get("enum").and_then(Yaml::as_sequence) {
        let allowed: Vec<String> = en.iter().filter_map(|v| v.as_str().map(String::from)).collect();
        if let Some(s) = value.as_str() {
            if !allowed.iter().any(|a| a == s) {
                return Err(format!("{at}: {s:?} not in {allowed:?}"));
            }
        }
    }
    if let Some(req) = schema.get("required").and_then(Yaml::as_sequence) {
        for r in req.iter().filter_map(Yaml::as_str) {
            if value.get(r).is_none() {
                return Err(format!("{at}: missing required property {r}"));
            }
        }
    }
    if let (Some(props), Some(obj)) = (schema.get("properties").and_then(Yaml::as_mapping), value.as_object()) {
        for (k, sub) in props {
            let Some(k) = k.as_str() else { continue };
            if let Some(v) = obj.get(k) {
                validate(spec, sub, v, &format!("{at}.{k}"))?;
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            validate(spec, items, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// Checks one exchange against the spec's operation.
async fn check(spec: &Yaml, path_template: &str, method: &str, resp: reqwest::Response) -> u16 {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.unwrap_or_default();
    let op = spec["paths"][path_template]
        .get(method)
        .unwrap_or_else(|| panic!("{method} {path_template} is not in openapi.yaml"));
    let documented = op["responses"].get(status.to_string()).unwrap_or_else(|| {
        panic!("{method} {path_template} returned {status}, which openapi.yaml does not document: {body}")
    });
    let documented = resolve(spec, documented);
    if let Some(hs) = documented.get("headers").and_then(Yaml::as_mapping) {
        for name in hs.keys().filter_map(Yaml::as_str) {
            assert!(
                headers.contains_key(name.to_ascii_lowercase().as_str()),
                "{method} {path_template} {status}: header {name} missing"
            );
        }
    }
    if let Some(schema) =
        documented.get("content").and_then(|c| c.get("application/json")).and_then(|c| c.get("schema"))
    {
        let v: Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{method} {path_template} {status}: body is not JSON ({e}): {body}"));
        if let Err(e) = validate(spec, schema, &v, "$") {
            panic!("{method} {path_template} {status}: response does not match schema: {e}; body: {body}");
        }
    }
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_matches_openapi() {
    let spec = spec();
    let stack = Stack::get();
    let prefix = unique("toas_");
    let (topics, _) = prefixed_topics(&prefix);
    create_topics(&stack.kafka(), &topics, 1).await;
    let key = "openapi-test-key-0123456789";
    let mut vars = stack.service_env();
    vars.insert("DI_KAFKA_TOPIC_PREFIX".into(), prefix.clone());
    vars.insert("PRODUCER_API_KEYS".into(), format!("oas:{key}"));
    vars.insert("PRODUCER_MAX_BODY_BYTES".into(), (128 * 1024).to_string());
    let p = start_producer(vars).await;
    let c = http();
    let up = "/v1/uploads/{kind}";

    // Every documented path answers (not the fallback 404), for every kind.
    let documented: BTreeSet<String> = spec["paths"]
        .as_mapping()
        .map(|m| m.keys().filter_map(|k| k.as_str().map(String::from)).collect())
        .unwrap_or_default();
    assert_eq!(
        documented,
        ["/health", "/metrics", "/ready", up].iter().map(|s| s.to_string()).collect::<BTreeSet<_>>(),
        "openapi.yaml paths differ from the server's routes"
    );
    let kinds: Vec<String> = spec["paths"][up]["post"]["parameters"][0]["schema"]["enum"]
        .as_sequence()
        .map(|s| s.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default();
    assert_eq!(kinds.len(), 5);

    let mut seen = BTreeSet::new();
    for (i, kind) in kinds.iter().enumerate() {
        let r = c
            .post(p.url(&format!("/v1/uploads/{kind}")))
            .header("x-api-key", key)
            .json(&upload_body("dev", &format!("b{i}"), 2, 50))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        seen.insert(check(&spec, up, "post", r).await);
    }
    let post = |path: &str| c.post(p.url(path)).header("x-api-key", key).header("content-type", "application/json");
    let scenarios: Vec<(reqwest::RequestBuilder, u16)> = vec![
        (post("/v1/uploads/sms").body("{"), 400),
        (post("/v1/uploads/sms").body(r#"{"device_id":"d","batch_id":"b","records":[]}"#), 422),
        (c.post(p.url("/v1/uploads/sms")).json(&upload_body("d", "b", 1, 10)), 401),
        (post("/v1/uploads/photos").body("{}"), 404),
        (post("/v1/uploads/sms").body(vec![b' '; 200 * 1024]), 413),
    ];
    for (req, want) in scenarios {
        let r = req.send().await.unwrap_or_else(|e| panic!("{e}"));
        let got = check(&spec, up, "post", r).await;
        assert_eq!(got, want);
        seen.insert(got);
    }
    for path in ["/health", "/ready", "/metrics"] {
        let r = c.get(p.url(path)).send().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(check(&spec, path, "get", r).await, 200, "{path}");
    }
    assert!(seen.is_superset(&[200, 400, 401, 404, 413, 422].into_iter().collect()));
    p.stop().await;

    // 503 with Retry-After when Kafka is down, as documented.
    let mut vars = stack.service_env();
    vars.insert("DI_KAFKA_BROKER_ENDPOINT".into(), format!("127.0.0.1:{}", free_port()));
    vars.insert("PRODUCER_DELIVERY_TIMEOUT_MS".into(), "1000".into());
    let p = start_producer(vars).await;
    let r = c
        .post(p.url("/v1/uploads/sms"))
        .json(&upload_body("d", "b", 1, 10))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(check(&spec, up, "post", r).await, 503);
    let r = c.get(p.url("/ready")).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(check(&spec, "/ready", "get", r).await, 503);
    p.stop().await;
    delete_topics(&stack.kafka(), &topics).await;
}
