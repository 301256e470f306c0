//! Rendering deployment files for people who deploy without forgectl's own
//! rollout: a role's `.env`, a docker-compose file, Kubernetes manifests.
//! Templates live in `templates/render/` and are built into the binary.

pub mod alerts;
pub mod connections;
pub mod grafana;
mod service_env;

use minijinja::syntax::SyntaxConfig;
use minijinja::Environment as Templates;
use serde::Serialize;

pub use service_env::{service_env, EnvVar, MongoConnection, PostgresConnection, ServiceEnv, REDACTED};

const TEMPLATES: &[(&str, &str)] = &[
    ("role.env", include_str!("../../../templates/render/role.env.j2")),
    ("compose.yaml", include_str!("../../../templates/render/compose.yaml.j2")),
    ("k8s.yaml", include_str!("../../../templates/render/k8s.yaml.j2")),
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

    #[error("`render {what}` writes {format}, not JSON; --output json applies to `render env`")]
    NoJsonForm { what: &'static str, format: &'static str },
}

impl RenderError {
    /// A template that fails to render is forgectl's bug; the rest is input.
    pub fn exit(&self) -> crate::exit::Exit {
        match self {
            RenderError::Template { .. } | RenderError::Serialize { .. } => crate::exit::Exit::Failure,
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
            RenderError::Template { .. } | RenderError::Serialize { .. } => None,
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
