//! One error type for every AWS call: the IAM action that failed, the
//! resource it was about, what AWS said, and a hint a human can act on.

use std::fmt;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::diagnosis::{self, CredentialProblem};

/// What went wrong, in the terms forgectl reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsErrorKind {
    /// The caller's identity lacks the IAM permission.
    AccessDenied,
    /// No credentials could be found or they were rejected.
    Credentials,
    /// The resource does not exist (deleted meanwhile, wrong ID).
    NotFound,
    /// A resource with that name exists, or its state forbids the call.
    Conflict,
    /// Another resource still depends on it (EC2 DependencyViolation).
    DependencyViolation,
    /// AWS rejected a parameter.
    InvalidInput,
    /// Rate limited even after the SDK's retries.
    Throttled,
    /// AWS was not reached: DNS, TCP, TLS, timeouts.
    Unreachable,
    /// AWS answered, but without a field it must send (an ARN, an ID, a
    /// state): forgectl refuses to guess one.
    Malformed,
    /// Anything else AWS answered with.
    Service,
}

#[derive(Debug, thiserror::Error)]
pub struct AwsError {
    /// The IAM action, e.g. `kafka:CreateClusterV2`: also what a policy needs.
    pub action: String,
    /// What the call was about, e.g. `cluster forgectl-prod`.
    pub resource: String,
    pub kind: AwsErrorKind,
    /// AWS's error code, e.g. `UnauthorizedOperation`.
    pub code: Option<String>,
    pub message: String,
    /// For [`AwsErrorKind::Credentials`]: what is wrong with them, for the
    /// hint. Boxed: every `Result` in the adapters carries this type.
    pub credentials: Option<Box<CredentialProblem>>,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {} failed: ", self.action, self.resource)?;
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl AwsError {
    /// Wraps an SDK error. `action` is the IAM action (`service:Operation`).
    pub fn from_sdk<E, R>(action: &str, resource: impl Into<String>, error: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        let code = error.code().map(str::to_string);
        // A request the SDK never sent for want of credentials is reported
        // as a dispatch failure; it is a credentials problem, not a network one.
        let unusable_credentials = diagnosis::credential_problem(&error);
        let unreachable = matches!(error, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_));
        let message = match (&unusable_credentials, error.message()) {
            (Some(problem), _) => problem.describe(),
            (None, Some(message)) => message.to_string(),
            // The sources' own words, never the SDK's `Debug` dump.
            (None, None) => diagnosis::chain_text(&error),
        };
        let kind = match &unusable_credentials {
            Some(_) => AwsErrorKind::Credentials,
            None if unreachable => AwsErrorKind::Unreachable,
            None => classify(code.as_deref(), &message),
        };
        let credentials = match kind {
            AwsErrorKind::Credentials => Some(Box::new(unusable_credentials.unwrap_or(CredentialProblem::Rejected))),
            _ => None,
        };
        AwsError { action: action.to_string(), resource: resource.into(), kind, code, message, credentials }
    }

    /// An answer AWS gave that forgectl cannot use: `what` it lacks.
    pub fn malformed(action: &str, resource: impl Into<String>, what: &str) -> Self {
        AwsError {
            action: action.to_string(),
            resource: resource.into(),
            kind: AwsErrorKind::Malformed,
            code: None,
            message: format!("the response has no {what}"),
            credentials: None,
        }
    }

    /// The SDK refused to build the request (a builder's required field
    /// unset): a bug in forgectl, reported with what it was about.
    pub fn unbuilt_request(action: &str, resource: impl Into<String>, reason: &str) -> Self {
        AwsError {
            action: action.to_string(),
            resource: resource.into(),
            kind: AwsErrorKind::InvalidInput,
            code: None,
            message: format!("the request could not be built: {reason}"),
            credentials: None,
        }
    }

    /// AWS answered without `field`, which it must always send.
    pub fn missing_field(action: &str, resource: impl Into<String>, field: &str) -> Self {
        AwsError {
            action: action.to_string(),
            resource: resource.into(),
            kind: AwsErrorKind::Malformed,
            code: None,
            message: format!("AWS answered without the required field `{field}`"),
            credentials: None,
        }
    }

    pub fn is(&self, kind: AwsErrorKind) -> bool {
        self.kind == kind
    }

    pub fn hint(&self) -> Option<String> {
        match self.kind {
            AwsErrorKind::AccessDenied => Some(format!(
                "the AWS identity in use lacks the IAM permission `{}` on {}; add it to its policy \
                 (`aws sts get-caller-identity` shows which identity that is)",
                self.action, self.resource
            )),
            AwsErrorKind::Credentials => {
                let problem = self.credentials.as_deref().unwrap_or(&CredentialProblem::Rejected);
                Some(problem.hint(&diagnosis::session()))
            }
            AwsErrorKind::Unreachable => Some(diagnosis::unreachable_hint(&diagnosis::session())),
            AwsErrorKind::Throttled => Some("AWS is rate limiting this account; wait a minute and re-run".into()),
            AwsErrorKind::Malformed => Some(
                "AWS's answer lacks a field forgectl needs and will not guess; re-run, and if it \
                 persists report it as a forgectl bug"
                    .into(),
            ),
            AwsErrorKind::DependencyViolation => {
                Some("something else still uses it; remove that first, then re-run".into())
            }
            _ => None,
        }
    }
}

/// `Ok(None)` for a NotFound answer: for lookups where absence is an answer.
pub fn absent_if_not_found<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.is(AwsErrorKind::NotFound) => Ok(None),
        Err(error) => Err(error),
    }
}

fn classify(code: Option<&str>, message: &str) -> AwsErrorKind {
    let Some(code) = code else {
        return if message.contains("credentials") { AwsErrorKind::Credentials } else { AwsErrorKind::Service };
    };
    match code {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "ForbiddenException" => {
            AwsErrorKind::AccessDenied
        }
        "AuthFailure"
        | "UnauthorizedException"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "SignatureDoesNotMatch" => AwsErrorKind::Credentials,
        "NotFoundException" | "ResourceNotFoundException" | "NoSuchEntity" | "ParameterNotFound" => {
            AwsErrorKind::NotFound
        }
        // ECR's `RepositoryNotFoundException`, ELB's `TargetGroupNotFound`,
        // EC2's `InvalidLaunchTemplateName.NotFoundException`...
        code if code.ends_with(".NotFound") || code.ends_with("NotFound") || code.ends_with("NotFoundException") => {
            AwsErrorKind::NotFound
        }
        "ConflictException"
        | "InvalidGroup.Duplicate"
        | "IncorrectState"
        | "EntityAlreadyExists"
        | "AlreadyExists"
        | "ParameterAlreadyExists"
        | "InstanceRefreshInProgress"
        | "ResourceInUse"
        | "ScalingActivityInProgress" => AwsErrorKind::Conflict,
        code if code.ends_with("AlreadyExistsException") || code.starts_with("Duplicate") => AwsErrorKind::Conflict,
        "DependencyViolation" => AwsErrorKind::DependencyViolation,
        "TooManyRequestsException" | "RequestLimitExceeded" | "Throttling" | "ThrottlingException" => {
            AwsErrorKind::Throttled
        }
        "BadRequestException"
        | "InvalidParameterValue"
        | "InvalidParameter"
        | "InvalidParameterCombination"
        | "MissingParameter"
        | "ValidationException"
        | "ValidationError" => AwsErrorKind::InvalidInput,
        code if code.starts_with("Invalid") => AwsErrorKind::InvalidInput,
        _ => AwsErrorKind::Service,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(classify(Some("UnauthorizedOperation"), ""), AwsErrorKind::AccessDenied);
        assert_eq!(classify(Some("AccessDeniedException"), ""), AwsErrorKind::AccessDenied);
        assert_eq!(classify(Some("InvalidSubnetID.NotFound"), ""), AwsErrorKind::NotFound);
        assert_eq!(classify(Some("InvalidGroup.Duplicate"), ""), AwsErrorKind::Conflict);
        assert_eq!(classify(Some("DependencyViolation"), ""), AwsErrorKind::DependencyViolation);
        assert_eq!(classify(Some("BadRequestException"), ""), AwsErrorKind::InvalidInput);
        assert_eq!(classify(None, "no credentials in the chain"), AwsErrorKind::Credentials);
        assert_eq!(classify(Some("RepositoryNotFoundException"), ""), AwsErrorKind::NotFound);
        assert_eq!(classify(Some("InvalidLaunchTemplateName.NotFoundException"), ""), AwsErrorKind::NotFound);
        assert_eq!(classify(Some("TargetGroupNotFound"), ""), AwsErrorKind::NotFound);
        assert_eq!(classify(Some("NoSuchEntity"), ""), AwsErrorKind::NotFound);
        assert_eq!(classify(Some("EntityAlreadyExists"), ""), AwsErrorKind::Conflict);
        assert_eq!(classify(Some("DuplicateTargetGroupName"), ""), AwsErrorKind::Conflict);
        assert_eq!(classify(Some("ValidationError"), ""), AwsErrorKind::InvalidInput);
    }

    #[test]
    fn access_denied_names_the_iam_action() {
        let error = AwsError {
            action: "kafka:CreateClusterV2".into(),
            resource: "cluster forgectl-prod".into(),
            kind: AwsErrorKind::AccessDenied,
            code: Some("AccessDeniedException".into()),
            message: "not authorized".into(),
            credentials: None,
        };
        assert!(error.to_string().starts_with("kafka:CreateClusterV2 on cluster forgectl-prod failed"));
        assert!(error.hint().is_some_and(|hint| hint.contains("`kafka:CreateClusterV2`")));
    }
}
