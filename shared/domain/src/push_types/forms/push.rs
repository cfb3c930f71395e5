//! Form Field Mapping: `form.submitted` → the mapped custom fields of that one case.
//!
//! What a submission asks of MyCase: the case (to send only what changed, and the name
//! the PUT needs), then the PUT: 2 requests. The mapped fields are re-checked against
//! the integration's cached catalogue, read again from MyCase (a third request) when it
//! is missing or older than [`super::catalogue::CATALOGUE_MAX_AGE`], and whenever MyCase
//! suggests it is behind: the case shows a mapped field with another type than the
//! catalogue says, the catalogue finds a mapping broken (confirmed live before it is
//! recorded), or MyCase refuses a value with a 422 on the field. So a deleted or retyped
//! field is still caught before anything is written to it.

use super::catalogue::{Catalogue, settle, status_of};
use super::convert::convert;
use super::mapping::{Broken, Mapping, question_retyped};
use super::ports::{CaseFields, MappingStore};
use super::question::{Answer, FormSubmitted};
use crate::error::PushError;
use crate::event::{Event, EventType};
use crate::ids::{CaseId, IntegrationId};
use crate::outcome::{Landed, MyCaseRef, PushType, Pushed, Remark};
use crate::pipeline::{Push, PushContext};
use crate::ports::Connect;
use crate::reason::Reason;
use async_trait::async_trait;
use chrono::Utc;
use mycase_client::model::{Case, CaseUpdate, CustomField, CustomFieldValueWrite, FieldValue};
use std::collections::HashMap;
use std::sync::Arc;
use tracing::{info, warn};

pub struct MapFormFields {
    pub mappings: Arc<dyn MappingStore>,
    pub mycase: Arc<dyn Connect<dyn CaseFields>>,
}

/// The case custom fields to check mappings against, by id; `live` when read from
/// MyCase during this push (nothing fresher to be had).
struct Fields {
    defs: HashMap<i64, CustomField>,
    live: bool,
}

/// What the answers amount to: the values to write and what could not be.
#[derive(Default)]
struct Plan {
    writes: Vec<(i64, FieldValue)>,
    remarks: Vec<Remark>,
}

#[async_trait]
impl Push for MapFormFields {
    type Data = FormSubmitted;
    const PUSH_TYPE: PushType = PushType::FormFields;
    const ACCEPTS: &'static [EventType] = &[EventType::FormSubmitted];

    async fn push(
        &self,
        ctx: &PushContext<'_>,
        event: &Event<FormSubmitted>,
    ) -> Result<Pushed, PushError> {
        let case = event.case_id().ok_or_else(|| {
            PushError::permanent(Reason::MissingCase, "The event names no MyCase case.")
        })?;
        let integration = &ctx.integration.id;
        let mapped = self.mapped_answers(integration, &event.data).await?;
        if mapped.is_empty() {
            return Ok(Pushed::Skipped {
                reason: Reason::NoMappedAnswers,
            });
        }
        let mycase = self
            .mycase
            .connect(ctx.integration, ctx.deadline.at)
            .await?;
        let mycase = mycase.as_ref();
        let mut fields = self.fields(mycase, integration).await?;
        let current = mycase.case(case).await.map_err(case_scoped)?;
        if !fields.live && catalogue_behind(&fields, &current, &mapped) {
            fields = self.live_fields(mycase, integration).await?;
        }
        let mut plan = self.plan(mycase, integration, &mapped, &mut fields).await?;
        let written = match write_changed(mycase, case, &current, &plan.writes).await {
            Err(e) if e.reason == Reason::CustomFieldRefused && !fields.live => {
                // MyCase refused a field the catalogue still had: read it again, re-check
                // the mappings and write what is still sound.
                fields = self.live_fields(mycase, integration).await?;
                plan = self.plan(mycase, integration, &mapped, &mut fields).await?;
                write_changed(mycase, case, &current, &plan.writes).await?
            }
            other => other?,
        };
        finish(case, plan, written)
    }
}

impl MapFormFields {
    /// The submission's answers that have a saved mapping, with it.
    async fn mapped_answers<'a>(
        &self,
        integration: &IntegrationId,
        form: &'a FormSubmitted,
    ) -> Result<Vec<(&'a Answer, Mapping)>, PushError> {
        let mut saved: HashMap<_, Mapping> = self
            .mappings
            .for_form(integration, &form.form_id)
            .await?
            .into_iter()
            .map(|m| (m.question_id.clone(), m))
            .collect();
        Ok(form
            .answers
            .iter()
            .filter_map(|a| saved.remove(&a.question_id).map(|m| (a, m)))
            .collect())
    }

    /// The cached catalogue while it is fresh; otherwise MyCase's fields, cached again.
    async fn fields(
        &self,
        mycase: &dyn CaseFields,
        integration: &IntegrationId,
    ) -> Result<Fields, PushError> {
        match self.mappings.catalogue(integration).await? {
            Some(c) if !c.is_stale(Utc::now()) => Ok(Fields {
                defs: c.definitions(),
                live: false,
            }),
            _ => self.live_fields(mycase, integration).await,
        }
    }

    async fn live_fields(
        &self,
        mycase: &dyn CaseFields,
        integration: &IntegrationId,
    ) -> Result<Fields, PushError> {
        let defs = mycase.custom_fields().await?;
        let catalogue = Catalogue::from_definitions(&defs, Utc::now());
        self.mappings.put_catalogue(integration, &catalogue).await?;
        info!(
            fields = catalogue.fields.len(),
            "custom-field catalogue read again"
        );
        Ok(Fields {
            defs: defs.into_iter().map(|d| (d.id, d)).collect(),
            live: true,
        })
    }

    /// Re-checks each mapping (a broken verdict from the cache is confirmed against
    /// MyCase first), records the statuses that changed, and converts the answers.
    async fn plan(
        &self,
        mycase: &dyn CaseFields,
        integration: &IntegrationId,
        mapped: &[(&Answer, Mapping)],
        fields: &mut Fields,
    ) -> Result<Plan, PushError> {
        let mut verdicts = verdicts(mapped, fields);
        let field_broken =
            |(v, _): &Verdict| v.as_ref().is_err_and(|b| b.kind != Reason::QuestionRetyped);
        if !fields.live && verdicts.iter().any(field_broken) {
            *fields = self.live_fields(mycase, integration).await?;
            verdicts = self::verdicts(mapped, fields);
        }
        let mut plan = Plan::default();
        for ((answer, mapping), (verdict, changed)) in mapped.iter().zip(verdicts) {
            if changed {
                self.mappings
                    .set_status(mapping, &status_of(&verdict))
                    .await?;
            }
            plan.add(answer, mapping, verdict);
        }
        Ok(plan)
    }
}

type Verdict = (Result<super::field::CaseField, Broken>, bool);

fn verdicts(mapped: &[(&Answer, Mapping)], fields: &Fields) -> Vec<Verdict> {
    mapped
        .iter()
        .map(
            |(answer, mapping)| match question_retyped(mapping, answer.question_type) {
                Some(broken) => {
                    let verdict = Err(broken);
                    let changed = status_of(&verdict) != mapping.status;
                    (verdict, changed)
                }
                None => settle(mapping, fields.defs.get(&mapping.field_id.get())),
            },
        )
        .collect()
}

impl Plan {
    fn add(
        &mut self,
        answer: &Answer,
        mapping: &Mapping,
        verdict: Result<super::field::CaseField, Broken>,
    ) {
        let field = match verdict {
            Ok(field) => field,
            Err(Broken { kind, reason }) => {
                warn!(question_id = %answer.question_id, field_id = %mapping.field_id, kind = %kind, "mapping broken; answer not written");
                self.remarks.push(Remark::new(
                    Reason::MappingBroken,
                    format!("Question {}: {reason}", answer.question_id),
                ));
                return;
            }
        };
        match convert(answer, &field, &mapping.choices) {
            Ok(Some(value)) => self.writes.push((field.id.get(), value)),
            // A blank answer never overwrites a value.
            Ok(None) => {}
            Err(unfit) => self.remarks.push(Remark::new(
                Reason::ValueDoesNotFit,
                format!(
                    "Question {} → custom field {}: {unfit}.",
                    answer.question_id, field.id
                ),
            )),
        }
    }
}

/// Whether the case shows a mapped field with another type than the catalogue has
/// (each value carries its field's type): then the catalogue is behind MyCase.
fn catalogue_behind(fields: &Fields, case: &Case, mapped: &[(&Answer, Mapping)]) -> bool {
    case.custom_field_values.iter().any(|v| {
        let on_case = v.custom_field.field_type.as_deref();
        let cached = fields
            .defs
            .get(&v.custom_field.id)
            .map(|d| d.field_type.as_str());
        mapped
            .iter()
            .any(|(_, m)| m.field_id.get() == v.custom_field.id)
            && on_case.is_some()
            && on_case != cached
    })
}

/// Landed (with the case) when an answer was written or MyCase already held it; a
/// submission whose every mapped answer was blank is skipped; one whose every answer
/// was refused did not land, and says why.
fn finish(case: CaseId, plan: Plan, written: usize) -> Result<Pushed, PushError> {
    let Plan { writes, remarks } = plan;
    if writes.is_empty() {
        info!(remarks = remarks.len(), "no mapped answer to write");
        if remarks.is_empty() {
            return Ok(Pushed::Skipped {
                reason: Reason::BlankAnswers,
            });
        }
        let why: Vec<String> = remarks
            .iter()
            .map(|r| format!("{}: {}", r.kind, r.detail))
            .collect();
        return Err(PushError::permanent(
            Reason::NoAnswerWritten,
            format!(
                "No mapped answer could be written; fix the mappings, then replay. {}",
                why.join(" ")
            ),
        ));
    }
    info!(
        mapped = writes.len(),
        written,
        remarks = remarks.len(),
        "form answers mapped"
    );
    Ok(Pushed::Landed(Landed {
        refs: vec![MyCaseRef::new("case", case.get())],
        remarks,
    }))
}

/// `PUT`s the case's `name` with only the values that differ from what it holds.
/// Sending only changes is what keeps the reported append-on-PUT quirk (reference
/// §6.2, §11) from duplicating values: an unchanged value, a redelivery or a
/// re-submission sends nothing at all. Returns how many values were sent.
///
/// MyCase's 204 is the proof of a write, so the case is read back only where that
/// proves something more: when the case already holds duplicate rows for a field being
/// written (the quirk at work), which row MyCase now reads as current is checked.
async fn write_changed(
    mycase: &dyn CaseFields,
    case: CaseId,
    current: &Case,
    writes: &[(i64, FieldValue)],
) -> Result<usize, PushError> {
    let changed: Vec<CustomFieldValueWrite> = writes
        .iter()
        .filter(|(id, wanted)| {
            !current
                .custom_field_value(*id)
                .is_some_and(|have| same_value(&have, wanted))
        })
        .map(|(id, value)| CustomFieldValueWrite::new(*id, value.clone()))
        .collect();
    if changed.is_empty() {
        return Ok(0);
    }
    let update = CaseUpdate {
        name: current.name.clone(),
        custom_field_values: changed.clone(),
    };
    mycase
        .update_case(case, &update)
        .await
        .map_err(case_scoped)?;
    if changed
        .iter()
        .any(|w| rows_of(current, w.custom_field.id) > 1)
    {
        verify(mycase, case, &changed).await?;
    }
    Ok(changed.len())
}

fn rows_of(case: &Case, field: i64) -> usize {
    case.custom_field_values
        .iter()
        .filter(|v| v.custom_field.id == field)
        .count()
}

/// Reads the case back: every value sent must read as current.
async fn verify(
    mycase: &dyn CaseFields,
    case: CaseId,
    sent: &[CustomFieldValueWrite],
) -> Result<(), PushError> {
    let after = mycase.case(case).await.map_err(case_scoped)?;
    let missing = sent
        .iter()
        .filter(|w| {
            !after
                .custom_field_value(w.custom_field.id)
                .is_some_and(|have| same_value(&have, &w.value))
        })
        .count();
    if missing > 0 {
        // Retried: the write is idempotent (an equal value is not sent again).
        return Err(PushError::transient(
            Reason::WriteNotVisible,
            format!("{missing} custom-field value(s) did not read back as written; will retry."),
        ));
    }
    Ok(())
}

/// Whether MyCase already holds the value (numbers compared as numbers, list and text
/// values as MyCase reads them back).
fn same_value(have: &FieldValue, wanted: &FieldValue) -> bool {
    match wanted {
        FieldValue::Number(n) => have.as_f64().is_some_and(|h| (h - n).abs() < 1e-9),
        FieldValue::Bool(b) => have.as_bool() == Some(*b),
        FieldValue::Text(t) => have.as_str() == Some(t.as_str()),
        FieldValue::Null => have.is_blank(),
    }
}

/// A 404 on the case means it is gone (or this firm cannot see it): permanent.
fn case_scoped(e: PushError) -> PushError {
    if e.reason == Reason::NotFound {
        PushError::permanent(
            Reason::CaseNotFound,
            "The MyCase case does not exist or this MyCase account cannot see it; check the project's case link.",
        )
    } else {
        e
    }
}
