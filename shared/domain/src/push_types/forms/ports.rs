//! The two small traits Form Field Mapping adds at the I/O edge.

use super::catalogue::Catalogue;
use super::mapping::{Mapping, MappingStatus};
use crate::error::{PushError, StoreError};
use crate::ids::{CaseId, CustomFieldId, FormId, IntegrationId, QuestionId};
use async_trait::async_trait;
use mycase_client::model::{Case, CaseUpdate, CustomField};

/// Saved mappings and each integration's cached field catalogue (DynamoDB `mappings`).
#[async_trait]
pub trait MappingStore: Send + Sync {
    /// Every mapping of one form.
    async fn for_form(
        &self,
        integration: &IntegrationId,
        form: &FormId,
    ) -> Result<Vec<Mapping>, StoreError>;
    /// Every mapping of the integration.
    async fn list(&self, integration: &IntegrationId) -> Result<Vec<Mapping>, StoreError>;
    /// Saves (or replaces) a mapping.
    async fn put(&self, mapping: &Mapping) -> Result<(), StoreError>;
    /// Removes a mapping; `false` when there was none.
    async fn delete(
        &self,
        integration: &IntegrationId,
        form: &FormId,
        question: &QuestionId,
    ) -> Result<bool, StoreError>;
    /// Records a mapping's new status, unless the mapping was saved again (or deleted)
    /// since it was read: a firm's fresh save must not be marked with an old verdict.
    async fn set_status(&self, mapping: &Mapping, status: &MappingStatus)
    -> Result<(), StoreError>;
    async fn catalogue(&self, integration: &IntegrationId)
    -> Result<Option<Catalogue>, StoreError>;
    async fn put_catalogue(
        &self,
        integration: &IntegrationId,
        catalogue: &Catalogue,
    ) -> Result<(), StoreError>;
}

/// What Form Field Mapping needs from MyCase.
#[async_trait]
pub trait CaseFields: Send + Sync {
    /// `GET /custom_fields`, every page.
    async fn custom_fields(&self) -> Result<Vec<CustomField>, PushError>;
    /// `GET /custom_fields/{id}`; `None` when MyCase has no such field.
    async fn custom_field(&self, id: CustomFieldId) -> Result<Option<CustomField>, PushError>;
    /// `GET /cases/{id}`.
    async fn case(&self, case: CaseId) -> Result<Case, PushError>;
    /// `PUT /cases/{id}` with `name` and only the values that change. A 422 on a
    /// custom-field value (a field deleted or retyped, a value it does not
    /// take) is [`crate::Reason::CustomFieldRefused`].
    async fn update_case(&self, case: CaseId, update: &CaseUpdate) -> Result<(), PushError>;
}
