//! The MyCase client behind [`CaseFields`].

use crate::{MyCase, push_error};
use async_trait::async_trait;
use hona_domain::Reason;
use hona_domain::error::PushError;
use hona_domain::forms::CaseFields;
use hona_domain::ids::{CaseId, CustomFieldId};
use mycase_client::model::{Case, CaseUpdate, CustomField};
use mycase_client::{MyCaseClient, MyCaseError};

#[async_trait]
impl CaseFields for MyCase {
    async fn custom_fields(&self) -> Result<Vec<CustomField>, PushError> {
        MyCaseClient::custom_fields(&self.0)
            .await
            .map_err(push_error)
    }

    async fn custom_field(&self, id: CustomFieldId) -> Result<Option<CustomField>, PushError> {
        match MyCaseClient::custom_field(&self.0, id.get()).await {
            Ok(field) => Ok(Some(field)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(push_error(e)),
        }
    }

    async fn case(&self, case: CaseId) -> Result<Case, PushError> {
        MyCaseClient::case(&self.0, case.get())
            .await
            .map_err(push_error)
    }

    async fn update_case(&self, case: CaseId, update: &CaseUpdate) -> Result<(), PushError> {
        match MyCaseClient::update_case(&self.0, case.get(), update).await {
            Ok(()) => Ok(()),
            Err(MyCaseError::Rejected {
                status: 422,
                details,
            }) if details.iter().any(|d| {
                d.pointer
                    .as_deref()
                    .is_some_and(|p| p.starts_with("/custom_field_values"))
            }) =>
            {
                Err(PushError::permanent(
                    Reason::CustomFieldRefused,
                    "MyCase refused a custom-field value: the field was deleted or changed, or does not take the value.",
                ))
            }
            Err(e) => Err(push_error(e)),
        }
    }
}
