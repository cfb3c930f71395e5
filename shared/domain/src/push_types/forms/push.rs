//! Form Field Mapping: `form.submitted` → the mapped custom fields of that one case.

use super::catalogue::{settle, status_of};
use super::convert::convert;
use super::mapping::{Broken, Mapping, question_retyped};
use super::ports::{CaseFields, MappingStore};
use super::question::FormSubmitted;
use crate::error::PushError;
use crate::event::{Event, EventType};
use crate::ids::CaseId;
use crate::outcome::{Landed, MyCaseRef, PushType, Pushed, Remark};
use crate::pipeline::{Push, PushContext};
use crate::ports::Connect;
use crate::reason::Reason;
use async_trait::async_trait;
use mycase_client::model::{CaseUpdate, CustomField, CustomFieldValueWrite, FieldValue};
use std::collections::HashMap;
use std::sync::Arc;
use tracing::{info, warn};

pub struct MapFormFields {
    pub mappings: Arc<dyn MappingStore>,
    pub mycase: Arc<dyn Connect<dyn CaseFields>>,
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
        let form = &event.data;
        let integration = &ctx.integration.id;
        let mut saved: HashMap<_, Mapping> = self
            .mappings
            .for_form(integration, &form.form_id)
            .await?
            .into_iter()
            .map(|m| (m.question_id.clone(), m))
            .collect();
        let mapped: Vec<_> = form
            .answers
            .iter()
            .filter_map(|a| saved.remove(&a.question_id).map(|m| (a, m)))
            .collect();
        if mapped.is_empty() {
            return Ok(Pushed::Skipped {
                reason: Reason::NoMappedAnswers,
            });
        }

        let mycase = self
            .mycase
            .connect(ctx.integration, ctx.deadline.at)
            .await?;
        // Admins change fields in MyCase: re-check each mapped field against what MyCase
        // has now, before writing anything.
        let defs = mycase.custom_fields().await?;
        let by_id: HashMap<i64, &CustomField> = defs.iter().map(|d| (d.id, d)).collect();

        let mut remarks = Vec::new();
        let mut writes: Vec<(i64, FieldValue)> = Vec::new();
        for (answer, mapping) in mapped {
            let (verdict, changed) = match question_retyped(&mapping, answer.question_type) {
                Some(broken) => {
                    let verdict = Err(broken);
                    let changed = status_of(&verdict) != mapping.status;
                    (verdict, changed)
                }
                None => settle(&mapping, by_id.get(&mapping.field_id.get()).copied()),
            };
            if changed {
                self.mappings
                    .set_status(&mapping, &status_of(&verdict))
                    .await?;
            }
            let field = match verdict {
                Ok(field) => field,
                Err(Broken { kind, reason }) => {
                    warn!(question_id = %answer.question_id, field_id = %mapping.field_id, kind = %kind, "mapping broken; answer not written");
                    remarks.push(Remark::new(
                        Reason::MappingBroken,
                        format!("Question {}: {reason}", answer.question_id),
                    ));
                    continue;
                }
            };
            match convert(answer, &field, &mapping.choices) {
                Ok(Some(value)) => writes.push((field.id.get(), value)),
                // A blank answer never overwrites a value.
                Ok(None) => {}
                Err(unfit) => remarks.push(Remark::new(
                    Reason::ValueDoesNotFit,
                    format!(
                        "Question {} → custom field {}: {unfit}.",
                        answer.question_id, field.id
                    ),
                )),
            }
        }

        if writes.is_empty() {
            info!(remarks = remarks.len(), "no mapped answer to write");
            return Ok(if remarks.is_empty() {
                Pushed::Skipped {
                    reason: Reason::BlankAnswers,
                }
            } else {
                Pushed::Landed(Landed {
                    refs: Vec::new(),
                    remarks,
                })
            });
        }
        let written = write_changed(mycase.as_ref(), case, &writes).await?;
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
}

/// Reads the case and `PUT`s its `name` with only the values that differ from what
/// it holds, then reads it back to verify. Sending only changes is what keeps the
/// reported append-on-PUT quirk (reference §6.2, §11) from duplicating values: an
/// unchanged value, a redelivery or a re-submission sends nothing at all. Returns
/// how many values were sent.
async fn write_changed(
    mycase: &dyn CaseFields,
    case: CaseId,
    writes: &[(i64, FieldValue)],
) -> Result<usize, PushError> {
    let current = mycase.case(case).await.map_err(case_scoped)?;
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
    let after = mycase.case(case).await.map_err(case_scoped)?;
    let missing = changed
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
    Ok(changed.len())
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
