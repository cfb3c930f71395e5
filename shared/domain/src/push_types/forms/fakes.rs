//! In-memory Form Field Mapping ports for unit tests (tests or feature `fakes` only).

use super::catalogue::Catalogue;
use super::mapping::{Mapping, MappingStatus, mapping_key};
use super::ports::{CaseFields, MappingStore};
use crate::error::{PushError, StoreError};
use crate::ids::{CaseId, CustomFieldId, FormId, IntegrationId, QuestionId};
use crate::integration::Integration;
use crate::ports::Connect;
use crate::reason::Reason;
use async_trait::async_trait;
use mycase_client::model::{
    Case, CaseUpdate, CustomField, CustomFieldRef, CustomFieldValue, FieldValue, ListOption,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct MemoryMappings {
    pub rows: Mutex<BTreeMap<(IntegrationId, String), Mapping>>,
    pub catalogues: Mutex<HashMap<IntegrationId, Catalogue>>,
}

impl MemoryMappings {
    pub fn status(&self, mapping: &Mapping) -> Option<MappingStatus> {
        self.rows
            .lock()
            .unwrap()
            .get(&(mapping.integration_id.clone(), mapping.key()))
            .map(|m| m.status.clone())
    }
}

#[async_trait]
impl MappingStore for MemoryMappings {
    async fn for_form(
        &self,
        integration: &IntegrationId,
        form: &FormId,
    ) -> Result<Vec<Mapping>, StoreError> {
        Ok(self
            .rows
            .lock()
            .unwrap()
            .values()
            .filter(|m| &m.integration_id == integration && &m.form_id == form)
            .cloned()
            .collect())
    }
    async fn list(&self, integration: &IntegrationId) -> Result<Vec<Mapping>, StoreError> {
        Ok(self
            .rows
            .lock()
            .unwrap()
            .values()
            .filter(|m| &m.integration_id == integration)
            .cloned()
            .collect())
    }
    async fn put(&self, mapping: &Mapping) -> Result<(), StoreError> {
        self.rows.lock().unwrap().insert(
            (mapping.integration_id.clone(), mapping.key()),
            mapping.clone(),
        );
        Ok(())
    }
    async fn delete(
        &self,
        integration: &IntegrationId,
        form: &FormId,
        question: &QuestionId,
    ) -> Result<bool, StoreError> {
        Ok(self
            .rows
            .lock()
            .unwrap()
            .remove(&(integration.clone(), mapping_key(form, question)))
            .is_some())
    }
    async fn set_status(
        &self,
        mapping: &Mapping,
        status: &MappingStatus,
    ) -> Result<(), StoreError> {
        let mut rows = self.rows.lock().unwrap();
        if let Some(row) = rows.get_mut(&(mapping.integration_id.clone(), mapping.key()))
            && row.saved_at == mapping.saved_at
        {
            row.status = status.clone();
        }
        Ok(())
    }
    async fn catalogue(
        &self,
        integration: &IntegrationId,
    ) -> Result<Option<Catalogue>, StoreError> {
        Ok(self.catalogues.lock().unwrap().get(integration).cloned())
    }
    async fn put_catalogue(
        &self,
        integration: &IntegrationId,
        catalogue: &Catalogue,
    ) -> Result<(), StoreError> {
        self.catalogues
            .lock()
            .unwrap()
            .insert(integration.clone(), catalogue.clone());
        Ok(())
    }
}

/// A firm's MyCase custom fields and cases, with the append-on-PUT quirk as a switch.
#[derive(Default)]
pub struct FakeFieldsFirm {
    pub fields: Mutex<BTreeMap<i64, CustomField>>,
    pub cases: Mutex<BTreeMap<i64, Case>>,
    /// Every `PUT /cases/{id}` body, in order.
    pub updates: Mutex<Vec<(CaseId, CaseUpdate)>>,
    pub append_quirk: Mutex<bool>,
    pub field_list_calls: Mutex<usize>,
    /// `GET /cases/{id}` calls.
    pub case_reads: Mutex<usize>,
    /// Seconds of the fake clock, so later writes read back as later.
    clock: Mutex<u32>,
}

impl FakeFieldsFirm {
    pub fn add_field(&self, id: i64, parent: &str, field_type: &str, options: &[(&str, &str)]) {
        let field = CustomField {
            id,
            name: format!("Field {id}"),
            parent_type: parent.into(),
            field_type: field_type.into(),
            list_options: options
                .iter()
                .map(|(k, t)| ListOption {
                    key: (*k).into(),
                    option: (*t).into(),
                    created_at: None,
                    updated_at: None,
                })
                .collect(),
            created_at: None,
            updated_at: None,
        };
        self.fields.lock().unwrap().insert(id, field);
    }

    pub fn add_case(&self, id: i64, name: &str) {
        let case: Case = serde_json::from_value(serde_json::json!({"id": id, "name": name}))
            .expect("a minimal case");
        self.cases.lock().unwrap().insert(id, case);
    }

    /// MyCase's 422 on a value for a field that is gone, not a case field, or of a type
    /// the value does not fit.
    fn refuse(&self, update: &CaseUpdate) -> Option<PushError> {
        let fields = self.fields.lock().unwrap();
        let fits = |w: &mycase_client::model::CustomFieldValueWrite| {
            fields.get(&w.custom_field.id).is_some_and(|f| {
                f.parent_type == "case"
                    && match (&w.value, f.field_type.as_str()) {
                        (FieldValue::Bool(_), t) => t == "boolean",
                        (FieldValue::Number(_), t) => t == "numeric" || t == "currency",
                        (FieldValue::Text(_), t) => {
                            !matches!(t, "boolean" | "numeric" | "currency")
                        }
                        (FieldValue::Null, _) => false,
                    }
            })
        };
        (!update.custom_field_values.iter().all(fits)).then(|| {
            PushError::permanent(
                Reason::CustomFieldRefused,
                "MyCase refused a custom-field value.",
            )
        })
    }

    pub fn case_values(&self, id: i64) -> Vec<CustomFieldValue> {
        self.cases.lock().unwrap()[&id].custom_field_values.clone()
    }
}

#[async_trait]
impl CaseFields for FakeFieldsFirm {
    async fn custom_fields(&self) -> Result<Vec<CustomField>, PushError> {
        *self.field_list_calls.lock().unwrap() += 1;
        Ok(self.fields.lock().unwrap().values().cloned().collect())
    }
    async fn custom_field(&self, id: CustomFieldId) -> Result<Option<CustomField>, PushError> {
        Ok(self.fields.lock().unwrap().get(&id.get()).cloned())
    }
    async fn case(&self, case: CaseId) -> Result<Case, PushError> {
        *self.case_reads.lock().unwrap() += 1;
        let mut case = self
            .cases
            .lock()
            .unwrap()
            .get(&case.get())
            .cloned()
            .ok_or_else(|| PushError::permanent(Reason::NotFound, "MyCase has no such record."))?;
        // As MyCase renders them: with each field's current type; a deleted field's
        // values are gone.
        let fields = self.fields.lock().unwrap();
        case.custom_field_values.retain_mut(|v| {
            let current = fields.get(&v.custom_field.id);
            v.custom_field.field_type = current.map(|f| f.field_type.clone());
            current.is_some()
        });
        Ok(case)
    }
    async fn update_case(&self, case: CaseId, update: &CaseUpdate) -> Result<(), PushError> {
        self.updates.lock().unwrap().push((case, update.clone()));
        if let Some(refused) = self.refuse(update) {
            return Err(refused);
        }
        let append = *self.append_quirk.lock().unwrap();
        let mut cases = self.cases.lock().unwrap();
        let stored = cases
            .get_mut(&case.get())
            .ok_or_else(|| PushError::permanent(Reason::NotFound, "MyCase has no such record."))?;
        let fields = self.fields.lock().unwrap();
        for w in &update.custom_field_values {
            let mut clock = self.clock.lock().unwrap();
            *clock += 1;
            let field_type = fields.get(&w.custom_field.id).map(|f| f.field_type.clone());
            let row = CustomFieldValue {
                custom_field: CustomFieldRef {
                    id: w.custom_field.id,
                    field_type,
                },
                value: w.value.clone(),
                created_at: None,
                updated_at: Some(format!(
                    "2026-11-25T{:02}:{:02}:{:02}Z",
                    *clock / 3600,
                    *clock / 60 % 60,
                    *clock % 60
                )),
            };
            match stored
                .custom_field_values
                .iter_mut()
                .find(|v| v.custom_field.id == w.custom_field.id)
            {
                Some(existing) if !append => *existing = row,
                _ => stored.custom_field_values.push(row),
            }
        }
        Ok(())
    }
}

/// One fake firm per integration.
#[derive(Default)]
pub struct FakeFieldsConnector {
    pub firms: Mutex<HashMap<IntegrationId, Arc<FakeFieldsFirm>>>,
}

impl FakeFieldsConnector {
    pub fn firm(&self, integration: &str) -> Arc<FakeFieldsFirm> {
        let id = IntegrationId::parse(integration).expect("valid integration id");
        self.firms.lock().unwrap().entry(id).or_default().clone()
    }
}

#[async_trait]
impl Connect<dyn CaseFields> for FakeFieldsConnector {
    async fn connect(
        &self,
        integration: &Integration,
        _deadline: tokio::time::Instant,
    ) -> Result<Arc<dyn CaseFields>, PushError> {
        let firm: Arc<dyn CaseFields> = self.firm(integration.id.as_str());
        Ok(firm)
    }
}
