//! Rendering deployment files for people who deploy without forgectl's own
//! rollout: a role's `.env`, a docker-compose file, Kubernetes manifests.
//! The compose file and the manifests are typed structures serialised by
//! serde; the `.env` file and the instances' user data are templates in
//! `templates/`, built into the binary.

pub mod alerts;
pub mod compose;
pub mod connections;
pub mod grafana;
pub mod k8s;
mod service_env;

use minijinja::syntax::SyntaxConfig;
use minijinja::Environment as Templates;
use serde::Serialize;

pub use service_env::{
    service_env, structured_service_env, EnvVar, MongoConnection, PostgresConnection, ServiceEnv, REDACTED,
};

const TEMPLATES: &[(&str, &str)] = &[
    ("role.env", include_str!("../../../templates/render/role.env.j2")),
    ("user-data.sh", include_str!("../../../templates/aws/user-data.sh.j2")),
];

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template {template} failed to render: {source}")]
    Template {
        template: String,
        #[source]
        source: minijinja::Error,
    },

    #[error("{name} has a value with a line break, which a .env file cannot hold")]
    MultilineValue { name: String },

    #[error("environment `{env}` has no {what} to render from")]
    MissingEndpoint { env: String, what: &'static str },

    #[error("environment `{env}`: the Kafka SCRAM password variable {variable} is not set (or empty)")]
    MissingSecret { env: String, variable: String },

    #[error(transparent)]
    Kafka(Box<crate::kafka::KafkaError>),

    #[error("role `{role}` is not in tier {tier}")]
    UnknownRole { role: String, tier: String },

    #[error("tier {tier}'s profile has no `alerts:` thresholds")]
    NoAlerts { tier: String },

    #[error("serialising the {what} failed: {reason}")]
    Serialize { what: &'static str, reason: String },

    #[error("`render {what}` writes {format}, not JSON; --output json applies to `render env`, `compose` and `k8s`")]
    NoJsonForm { what: &'static str, format: &'static str },

    #[error("role `{role}` has no {what}, which its KEDA ScaledObject needs")]
    IncompleteRole { role: String, what: &'static str },

    #[error("--irsa-role-arn `{arn}` is not an IAM role ARN")]
    InvalidRoleArn { arn: String },

    #[error("environment `{env}` has no {what} to render from")]
    NotProvisioned { env: String, what: String },

    /// Boxed: every `Result` of the renderers carries this type.
    #[error(transparent)]
    Aws(Box<crate::aws::AwsError>),
}

impl From<crate::aws::AwsError> for RenderError {
    fn from(err: crate::aws::AwsError) -> Self {
        RenderError::Aws(Box::new(err))
    }
}

impl RenderError {
    /// A template that fails to render is forgectl's bug; the rest is input.
    pub fn exit(&self) -> crate::exit::Exit {
        match self {
            RenderError::Template { .. } | RenderError::Serialize { .. } | RenderError::IncompleteRole { .. } => {
                crate::exit::Exit::Failure
            }
            RenderError::Aws(_) => crate::exit::Exit::Failure,
            _ => crate::exit::Exit::Usage,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            RenderError::MissingEndpoint { what, .. } => Some(format!(
                "set `{what}` in the environment in forgectl.yaml (for the local stack: eval \"$(dev/stack env)\" and use --env local)"
            )),
            RenderError::MultilineValue { .. } => Some("remove the line break from the value".into()),
            RenderError::UnknownRole { .. } => {
                Some("roles are producer, sms-consumer, events-consumer and common-consumer".into())
            }
            RenderError::NoAlerts { .. } => {
                Some("add an `alerts:` section to the tier's profile (profiles/_base.yaml has the defaults)".into())
            }
            RenderError::NoJsonForm { .. } => Some("drop --output json (the text is already machine-readable), or use --out FILE".into()),
            RenderError::MissingSecret { variable, .. } => {
                Some(format!("export {variable} (for the local stack: eval \"$(dev/stack env)\")"))
            }
            RenderError::Kafka(source) => source.hint(),
            RenderError::InvalidRoleArn { .. } => {
                Some("pass the role's ARN, e.g. arn:aws:iam::123456789012:role/forgectl-services".into())
            }
            RenderError::NotProvisioned { .. } => Some(
                "run `forgectl provision` first, or set kafka.bootstrap_servers in the environment".into(),
            ),
            RenderError::Aws(err) => err.hint(),
            RenderError::Template { .. } | RenderError::Serialize { .. } | RenderError::IncompleteRole { .. } => None,
        }
    }
}

/// One shell word, whatever the text holds: single quotes, with each
/// embedded quote closed, escaped and reopened.
fn shell_quote(text: String) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Renders one of the built-in templates with `context`.
pub fn render_template<C: Serialize>(name: &str, context: &C) -> Result<String, RenderError> {
    let wrap = |source| RenderError::Template { template: name.to_string(), source };
    let mut templates = Templates::new();
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(wrap)?;
    templates.set_syntax(syntax);
    // A missing variable is a bug in forgectl, not something to print as "".
    templates.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    templates.add_filter("shell_quote", shell_quote);
    for (template_name, source) in TEMPLATES {
        templates.add_template(template_name, source).map_err(wrap)?;
    }
    templates.get_template(name).and_then(|template| template.render(minijinja::value::Serde(context))).map_err(wrap)
}
