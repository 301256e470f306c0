//! What a default AWS deploy refuses to expose, on the emulator: plain HTTP
//! on an internet-facing load balancer and producers without an API key.
//! With a certificate and a key (and nothing opted out) it deploys an API
//! that is HTTPS only, whose port 80 only redirects, and whose producers'
//! metrics nothing outside reaches.

mod common;
mod deploy_support;

use common::{assert_success, mutating, text, CpEnv};
use deploy_support::*;

/// The tests' settings without the two opt-outs: what a new user writes.
fn strict_settings(prefix: &str) -> String {
    settings(prefix).replace("      allow_plain_http: true\n      allow_anonymous_uploads: true\n", "")
}

fn provisioned(label: &str, settings: &str) -> (CpEnv, Sdk) {
    let env = CpEnv::with_settings(label, settings);
    env.provision("50k");
    assert_success(&env.run(&["images", "init"]), &["images", "init"]);
    (env, Sdk::new())
}

#[test]
fn a_default_deploy_is_refused_until_it_has_https_and_a_key() {
    let prefix = common::unique("fc");
    let (env, sdk) = provisioned("exposure", &strict_settings(&prefix));
    let version = common::unique("v1-");
    sdk.push_images(&version);

    let _ = env.take_calls();
    let refused = deploy(&env, &version, &[]);
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("plain HTTP"), "{stderr}");
    assert!(stderr.contains("allow_plain_http"), "{stderr}");
    assert_eq!(mutating(&env.take_calls()), Vec::<String>::new(), "a refused deploy changes nothing");

    // A certificate answers the first refusal; the missing key is next.
    let certificate = request_certificate(&sdk, "api.example.com");
    let with_certificate = format!("      keep_images: 20\n      certificate_arn: {certificate}\n");
    let config = std::fs::read_to_string(&env.config).unwrap_or_else(|err| panic!("{err}"));
    std::fs::write(&env.config, config.replace("      keep_images: 20\n", &with_certificate))
        .unwrap_or_else(|err| panic!("{err}"));
    let refused = deploy(&env, &version, &[]);
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no API key") && stderr.contains("api-keys create"), "{stderr}");

    let created = env.run(&["api-keys", "create", "ios"]);
    assert_success(&created, &["api-keys", "create"]);
    let key = text(&created.stdout);
    let deployed = deploy(&env, &version, &[]);
    assert_success(&deployed, &["deploy", "with a certificate and a key"]);

    // The load balancer: HTTPS with the certificate; port 80 only redirects.
    let lb_name = format!("{prefix}-api");
    let lbs = sdk
        .runtime
        .block_on(sdk.elb.describe_load_balancers().names(&lb_name).send())
        .unwrap_or_else(|err| panic!("{err:?}"));
    let lb = lbs.load_balancers().first().unwrap_or_else(|| panic!("no load balancer {lb_name}"));
    assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internet-facing"));
    let listeners = sdk
        .runtime
        .block_on(sdk.elb.describe_listeners().load_balancer_arn(lb.load_balancer_arn().unwrap_or_default()).send())
        .unwrap_or_else(|err| panic!("{err:?}"));
    for listener in listeners.listeners() {
        let actions: Vec<_> =
            listener.default_actions().iter().filter_map(|a| a.r#type()).map(|t| t.as_str()).collect();
        match listener.port() {
            Some(443) => assert_eq!(listener.protocol().map(|p| p.as_str()), Some("HTTPS")),
            Some(80) => assert_eq!(actions, ["redirect"], "port 80 must not serve the API"),
            other => panic!("unexpected listener on {other:?}"),
        }
    }

    // The producers are reached from the load balancer's group only, on the
    // API port: nothing opens their metrics port to anyone.
    let groups = sdk
        .runtime
        .block_on(sdk.ec2.describe_security_groups().group_names(format!("{prefix}-producer")).send())
        .unwrap_or_else(|err| panic!("{err:?}"));
    let producer_sg = groups.security_groups().first().unwrap_or_else(|| panic!("no producer group"));
    for rule in producer_sg.ip_permissions() {
        assert_eq!(rule.from_port(), Some(8000), "{rule:?}");
        assert!(rule.ip_ranges().is_empty(), "no CIDR reaches the producers: {rule:?}");
        assert_eq!(rule.user_id_group_pairs().len(), 1, "{rule:?}");
    }

    // The key reaches the producers through Parameter Store, never user-data,
    // and the producers are not told to accept anonymous uploads.
    let template = sdk.template_version(&format!("{prefix}-producer"), "$Latest");
    let user_data = template.launch_template_data().and_then(|data| data.user_data()).unwrap_or_default();
    let script = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, user_data).unwrap_or_default(),
    )
    .unwrap_or_default();
    // `create` prints a heading, the key alone on the next line, then advice.
    let secret = key.lines().nth(1).unwrap_or_default().trim();
    assert!(!secret.is_empty() && !script.contains(secret), "the API key is in user-data");
    assert!(!script.contains("PRODUCER_ALLOW_ANONYMOUS"), "{script}");
}

#[test]
fn an_internal_load_balancer_serves_plain_http_without_an_opt_out() {
    let prefix = common::unique("fc");
    let internal = strict_settings(&prefix).replace(
        "      keep_images: 20\n",
        "      keep_images: 20\n      load_balancer_scheme: internal\n      allow_anonymous_uploads: true\n",
    );
    let (env, sdk) = provisioned("internal", &internal);
    let version = common::unique("v1-");
    sdk.push_images(&version);
    assert_success(&deploy(&env, &version, &[]), &["deploy", "internal"]);
    let lbs = sdk
        .runtime
        .block_on(sdk.elb.describe_load_balancers().names(format!("{prefix}-api")).send())
        .unwrap_or_else(|err| panic!("{err:?}"));
    let scheme = lbs.load_balancers().first().and_then(|lb| lb.scheme()).map(|s| s.as_str().to_string());
    assert_eq!(scheme.as_deref(), Some("internal"));
    // The opt-out is written into the producers' environment, and only there.
    let producer = sdk.template_version(&format!("{prefix}-producer"), "$Latest");
    let user_data = producer.launch_template_data().and_then(|data| data.user_data()).unwrap_or_default();
    let script = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, user_data).unwrap_or_default();
    assert!(String::from_utf8_lossy(&script).contains("PRODUCER_ALLOW_ANONYMOUS=true"));
}
