//! Each integration's catalogue of MyCase case fields (the dropdown beside a form
//! question), cached in the mappings table, and the upkeep the nightly sync runs:
//! refresh the catalogue, re-check every mapping against MyCase.

use super::compatibility::compatibility;
use super::field::CaseField;
use super::mapping::{Broken, Mapping, MappingStatus, recheck};
use super::ports::{CaseFields, MappingStore};
use super::question::QuestionType;
use crate::error::PushError;
use crate::integration::Integration;
use crate::ports::Connect;
use chrono::{DateTime, Utc};
use mycase_client::model::CustomField;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use tracing::info;

/// A catalogue older than this is read again from MyCase before it is offered.
pub const CATALOGUE_MAX_AGE: chrono::Duration = chrono::Duration::hours(1);

/// The firm's case custom fields as MyCase listed them at `refreshed_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    pub fields: Vec<CaseField>,
    pub refreshed_at: DateTime<Utc>,
}

impl Catalogue {
    /// Keeps the case fields of a known type (others can never be mapped).
    pub fn from_definitions(defs: &[CustomField], now: DateTime<Utc>) -> Self {
        Self {
            fields: defs
                .iter()
                .filter_map(|d| CaseField::from_definition(d).ok())
                .collect(),
            refreshed_at: now,
        }
    }

    /// The fields a question of this type may be mapped to (THE matrix decides).
    pub fn compatible_with(&self, question: QuestionType) -> Vec<&CaseField> {
        self.fields
            .iter()
            .filter(|f| compatibility(question, f.field_type).is_allowed())
            .collect()
    }

    /// The cached fields as MyCase definitions, by id.
    pub fn definitions(&self) -> HashMap<i64, CustomField> {
        self.fields
            .iter()
            .map(|f| (f.id.get(), f.to_definition()))
            .collect()
    }

    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        now - self.refreshed_at > CATALOGUE_MAX_AGE
    }
}

/// What a re-check of an integration's mappings found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecheckReport {
    pub checked: usize,
    /// Newly broken by this run.
    pub broken: usize,
    /// Broken before, fine again now.
    pub fixed: usize,
    /// Broken before and still broken.
    pub still_broken: usize,
}

/// The status a mapping should have given the field MyCase has now, and whether it
/// must be written back (only when it changed).
pub fn settle(
    mapping: &Mapping,
    current: Option<&CustomField>,
) -> (Result<CaseField, Broken>, bool) {
    let verdict = recheck(mapping, current);
    let changed = status_of(&verdict) != mapping.status;
    (verdict, changed)
}

/// The status a verdict amounts to.
pub fn status_of<T>(verdict: &Result<T, Broken>) -> MappingStatus {
    match verdict {
        Ok(_) => MappingStatus::Ok,
        Err(broken) => MappingStatus::Broken(broken.clone()),
    }
}

/// The upkeep of an integration's mappings. The nightly sync calls
/// [`FormFieldUpkeep::refresh_catalogue`] and [`FormFieldUpkeep::recheck_mappings`];
/// the mapping API reads [`FormFieldUpkeep::catalogue`].
#[derive(Clone)]
pub struct FormFieldUpkeep {
    pub mappings: Arc<dyn MappingStore>,
    pub mycase: Arc<dyn Connect<dyn CaseFields>>,
}

impl FormFieldUpkeep {
    /// Reads every custom field from MyCase (all pages) and caches the case fields.
    pub async fn refresh_catalogue(
        &self,
        integration: &Integration,
        deadline: tokio::time::Instant,
    ) -> Result<Catalogue, PushError> {
        let mycase = self.mycase.connect(integration, deadline).await?;
        let defs = mycase.custom_fields().await?;
        let catalogue = Catalogue::from_definitions(&defs, Utc::now());
        self.mappings
            .put_catalogue(&integration.id, &catalogue)
            .await?;
        info!(
            fields = catalogue.fields.len(),
            "custom-field catalogue refreshed"
        );
        Ok(catalogue)
    }

    /// The cached catalogue, read again from MyCase when missing or older than
    /// [`CATALOGUE_MAX_AGE`].
    pub async fn catalogue(
        &self,
        integration: &Integration,
        deadline: tokio::time::Instant,
    ) -> Result<Catalogue, PushError> {
        match self.mappings.catalogue(&integration.id).await? {
            Some(c) if !c.is_stale(Utc::now()) => Ok(c),
            _ => self.refresh_catalogue(integration, deadline).await,
        }
    }

    /// Re-checks every mapping of the integration against MyCase's fields: deleted,
    /// retyped or missing options mark it broken with the reason; a fixed one is ok
    /// again. Refreshes the catalogue from the same read.
    pub async fn recheck_mappings(
        &self,
        integration: &Integration,
        deadline: tokio::time::Instant,
    ) -> Result<RecheckReport, PushError> {
        let mycase = self.mycase.connect(integration, deadline).await?;
        let defs = mycase.custom_fields().await?;
        self.mappings
            .put_catalogue(
                &integration.id,
                &Catalogue::from_definitions(&defs, Utc::now()),
            )
            .await?;
        let by_id: HashMap<i64, &CustomField> = defs.iter().map(|d| (d.id, d)).collect();
        let mut report = RecheckReport::default();
        for mapping in self.mappings.list(&integration.id).await? {
            report.checked += 1;
            let current = by_id.get(&mapping.field_id.get()).copied();
            let (verdict, changed) = settle(&mapping, current);
            let status = status_of(&verdict);
            match (&mapping.status, &status, changed) {
                (_, MappingStatus::Ok, true) => report.fixed += 1,
                (MappingStatus::Ok, MappingStatus::Broken(_), _) => report.broken += 1,
                (MappingStatus::Broken(_), MappingStatus::Broken(_), _) => report.still_broken += 1,
                _ => {}
            }
            if changed {
                self.mappings.set_status(&mapping, &status).await?;
            }
        }
        info!(
            checked = report.checked,
            broken = report.broken,
            fixed = report.fixed,
            still_broken = report.still_broken,
            "mappings re-checked"
        );
        Ok(report)
    }
}
