use super::*;

fn spec(yaml: &str) -> EnvironmentSpec {
    serde_norway::from_str(yaml).unwrap_or_else(|err| panic!("test yaml: {err}"))
}

fn no_vars(_: &str) -> Option<String> {
    None
}

#[test]
fn one_subnet_is_refused() {
    let err = resolve("e".into(), spec("provider: aws\nsubnets: [subnet-1]"), &Default::default(), &no_vars);
    assert!(matches!(err, Err(ConfigError::Invalid { ref key, .. }) if key == "subnets"));
}

#[test]
fn empty_subnet_list_is_refused() {
    let err = resolve("e".into(), spec("provider: aws\nsubnets: []"), &Default::default(), &no_vars);
    assert!(
        matches!(err, Err(ConfigError::Invalid { ref key, ref message, .. }) if key == "subnets" && message.contains("empty"))
    );
}

#[test]
fn services_settings_are_checked() {
    let key_of = |yaml: &str| match resolve("e".into(), spec(yaml), &Default::default(), &no_vars) {
        Err(ConfigError::Invalid { key, .. }) => key,
        other => panic!("{other:?}"),
    };
    assert_eq!(key_of("provider: aws\nservices: {load_balancer_cidrs: [10.0.0.0/33]}"), "services.load_balancer_cidrs");
    assert_eq!(key_of("provider: aws\nservices: {keep_images: 0}"), "services.keep_images");
    assert_eq!(
        key_of("provider: aws\nservices: {certificate_arn: arn:aws:iam::1:server-certificate/x}"),
        "services.certificate_arn"
    );
    let env = resolve(
        "e".into(),
        spec("provider: aws\nservices: {certificate_arn: arn:aws:acm:us-east-1:1:certificate/c, instance_size: dev}"),
        &Default::default(),
        &no_vars,
    )
    .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(env.services.instance_size, InstanceSize::Dev);
    assert_eq!(env.services.load_balancer_cidrs, ["0.0.0.0/0"]);
}

#[test]
fn unknown_auth_mode_is_a_parse_error() {
    let err = serde_norway::from_str::<EnvironmentSpec>("provider: aws\nclient_auth: kerberos");
    assert!(err.is_err_and(|e| e.to_string().contains("unknown variant `kerberos`")));
}

#[test]
fn flags_override_file_values() {
    let overrides = EnvironmentOverrides { region: Some("eu-west-1".into()), india: true, ..Default::default() };
    let env = resolve("e".into(), spec("provider: aws\nregion: us-east-1"), &overrides, &no_vars)
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(env.region.as_deref(), Some("eu-west-1"));
    assert!(env.india);
    assert_eq!(env.name_prefix, "forgectl-e");
}

#[test]
fn variables_expand_and_missing_ones_are_named() {
    let lookup = |name: &str| (name == "BOOT").then(|| "127.0.0.1:9092".to_string());
    assert_eq!(interpolate("${BOOT},x", &lookup), Ok("127.0.0.1:9092,x".to_string()));
    assert_eq!(interpolate("${NOPE}", &lookup), Err("NOPE".to_string()));
    let env = resolve(
        "l".into(),
        spec("provider: local\nkafka: {bootstrap_servers: \"${NOPE}\"}"),
        &Default::default(),
        &lookup,
    );
    assert!(matches!(env, Err(ConfigError::MissingVariable { ref variable, .. }) if variable == "NOPE"));
}
