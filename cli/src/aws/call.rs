//! One AWS call's context: the IAM action and the resource it is about.
//! Every adapter sends through it, so an SDK error and an answer that lacks
//! a required field both come back as an [`AwsError`] naming the same two.

use std::fmt;
use std::future::Future;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::error::{absent_if_not_found, AwsError};

#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// The IAM action, e.g. `ec2:CreateSecurityGroup`.
    action: &'a str,
    /// What the call is about, e.g. `security group forgectl-prod-brokers`.
    resource: String,
}

impl<'a> Call<'a> {
    pub fn new(action: &'a str, resource: impl Into<String>) -> Self {
        Call { action, resource: resource.into() }
    }

    /// Awaits the request (`builder.send()`) and maps its SDK error.
    pub async fn send<T, E, R>(&self, request: impl Future<Output = Result<T, SdkError<E, R>>>) -> Result<T, AwsError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        request.await.map_err(|error| self.error(error))
    }

    /// [`Call::send`] where a NotFound answer means "absent", not failure.
    pub async fn send_or_absent<T, E, R>(
        &self,
        request: impl Future<Output = Result<T, SdkError<E, R>>>,
    ) -> Result<Option<T>, AwsError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        absent_if_not_found(self.send(request).await)
    }

    /// The SDK error of this call as an [`AwsError`]: for paginators, whose
    /// pages arrive one `Result` at a time.
    pub fn error<E, R>(&self, error: SdkError<E, R>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        AwsError::from_sdk(self.action, self.resource.clone(), error)
    }

    /// A field AWS must send: its absence is a malformed answer, never a default.
    pub fn required<T>(&self, value: Option<T>, field: &str) -> Result<T, AwsError> {
        value.ok_or_else(|| AwsError::missing_field(self.action, self.resource.clone(), field))
    }

    /// [`Call::required`] for string fields, owned.
    pub fn required_str(&self, value: Option<&str>, field: &str) -> Result<String, AwsError> {
        self.required(value, field).map(str::to_string)
    }

    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The same action about another resource: one element of a list answer.
    pub fn about(&self, resource: impl Into<String>) -> Call<'a> {
        Call { action: self.action, resource: resource.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::AwsErrorKind;

    #[test]
    fn a_missing_required_field_is_a_malformed_answer_that_names_it() {
        let call = Call::new("ec2:CreateSecurityGroup", "security group forgectl-dev-brokers");
        let error = call.required(None::<&str>, "GroupId").unwrap_err();
        assert!(error.is(AwsErrorKind::Malformed));
        let text = error.to_string();
        assert!(text.starts_with("ec2:CreateSecurityGroup on security group forgectl-dev-brokers failed"), "{text}");
        assert!(text.contains("`GroupId`"), "{text}");
        assert!(error.hint().is_some());
    }

    #[test]
    fn a_present_field_passes_through() {
        let call = Call::new("kafka:CreateClusterV2", "cluster c");
        assert_eq!(call.required_str(Some("arn:aws:kafka:x"), "ClusterArn").ok().as_deref(), Some("arn:aws:kafka:x"));
        assert_eq!(call.required(Some(7), "Revision").ok(), Some(7));
    }
}
