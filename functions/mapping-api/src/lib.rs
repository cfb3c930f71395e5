//! The mapping API's routes and validation, free of Lambda and AWS types so they are
//! unit-tested over in-memory ports: [`router`] is what `main.rs` serves.
//!
//! | method | path | does |
//! |---|---|---|
//! | `GET` | `/integrations/{id}/custom-fields?question_type=T` | compatible MyCase case fields |
//! | `GET` | `/integrations/{id}/mappings` | every mapping of the integration |
//! | `GET` | `/integrations/{id}/forms/{form_id}/questions/{question_id}/mapping` | one mapping |
//! | `PUT` | same | save it (body: `question_type`, `custom_field_id`, `choices`?) |
//! | `DELETE` | same | remove it |
//!
//! Errors are `{"error": {"code": "...", "message": "..."}}` with a 4xx/5xx status
//! (`docs/http-api.md`).

use axum::Router;
use axum::extract::{Json, State};
use axum::http::StatusCode;
use axum::routing::get;
use chrono::Utc;
use hona_domain::PushError;
use hona_domain::StoreError;
use hona_domain::forms::catalogue::FormFieldUpkeep;
use hona_domain::forms::convert::ChoiceMap;
use hona_domain::forms::mapping::{Mapping, MappingRequest, mapping_key, validate};
use hona_domain::forms::ports::{CaseFields, MappingStore};
use hona_domain::forms::question::QuestionType;
use hona_domain::ids::{CustomFieldId, FormId, IntegrationId, QuestionId};
use hona_domain::integration::Integration;
use hona_domain::ports::{Connect, IntegrationStore};
use hona_http_api::{ApiError, IdPath, JsonAnswer, JsonBody, PathParams, QueryParams};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tracing::warn;

/// How long one API call may spend on MyCase (API Gateway's limit is 30 s).
const MYCASE_BUDGET: Duration = Duration::from_secs(20);

pub struct MappingApi {
    pub integrations: Arc<dyn IntegrationStore>,
    pub mappings: Arc<dyn MappingStore>,
    pub mycase: Arc<dyn Connect<dyn CaseFields>>,
}

/// The routes (a stage prefix, `/prod/integrations/…`, is tolerated).
pub fn router(api: Arc<MappingApi>) -> Router {
    let mapping = "/integrations/{id}/forms/{form_id}/questions/{question_id}/mapping";
    let routes = Router::new()
        .route("/integrations/{id}/custom-fields", get(custom_fields))
        .route("/integrations/{id}/mappings", get(list))
        .route(mapping, get(get_one).put(save).delete(delete))
        .with_state(api);
    hona_http_api::api(routes, &["integrations"])
}

type Api = State<Arc<MappingApi>>;

#[derive(Deserialize)]
struct OfQuestion {
    id: IntegrationId,
    form_id: FormId,
    question_id: QuestionId,
}

#[derive(Deserialize)]
struct FieldsQuery {
    question_type: Option<String>,
}

/// `PUT …/mapping` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveBody {
    question_type: String,
    custom_field_id: i64,
    /// Choice (as Hona sends it) → MyCase list option key or text.
    #[serde(default)]
    choices: ChoiceMap,
}

async fn custom_fields(
    State(api): Api,
    PathParams(p): PathParams<IdPath<IntegrationId>>,
    QueryParams(q): QueryParams<FieldsQuery>,
) -> JsonAnswer {
    let Some(question_type) = q.question_type.as_deref().and_then(QuestionType::parse) else {
        return Err(ApiError::bad_request(
            "invalid_question_type",
            "Give `question_type`: one of short_text, long_text, number, date, yes_no, single_choice, multiple_choice, email, phone, address, file_upload, signature.",
        ));
    };
    let integration = api.integration(&p.id).await?;
    let catalogue = api
        .upkeep()
        .catalogue(&integration, deadline())
        .await
        .map_err(mycase_failed)?;
    let fields: Vec<Value> = catalogue
        .compatible_with(question_type)
        .into_iter()
        .map(|f| serde_json::to_value(f).unwrap_or(Value::Null))
        .collect();
    Ok(Json(json!({
        "question_type": question_type,
        "fields": fields,
        "refreshed_at": catalogue.refreshed_at,
    })))
}

async fn list(State(api): Api, PathParams(p): PathParams<IdPath<IntegrationId>>) -> JsonAnswer {
    api.integration(&p.id).await?;
    let all = api.mappings.list(&p.id).await.map_err(store_unavailable)?;
    Ok(Json(
        json!({"mappings": all.iter().map(mapping_json).collect::<Vec<_>>()}),
    ))
}

async fn get_one(State(api): Api, PathParams(p): PathParams<OfQuestion>) -> JsonAnswer {
    api.integration(&p.id).await?;
    match api.find(&p.id, &p.form_id, &p.question_id).await? {
        Some(m) => Ok(Json(mapping_json(&m))),
        None => Err(no_mapping()),
    }
}

async fn save(
    State(api): Api,
    PathParams(p): PathParams<OfQuestion>,
    JsonBody(body): JsonBody<SaveBody>,
) -> JsonAnswer {
    let Some(question_type) = QuestionType::parse(&body.question_type) else {
        return Err(ApiError::bad_request(
            "invalid_question_type",
            "`question_type` is not one of the twelve question types.",
        ));
    };
    let Ok(field_id) = CustomFieldId::new(body.custom_field_id) else {
        return Err(ApiError::bad_request(
            "invalid_custom_field_id",
            "`custom_field_id` must be a positive integer.",
        ));
    };
    let integration = api.integration(&p.id).await?;
    // Checked against MyCase as it is now, not the cache: a save must never rest
    // on a field that was deleted or retyped since the dropdown was filled.
    let mycase = api
        .mycase
        .connect(&integration, deadline())
        .await
        .map_err(mycase_failed)?;
    let definition = mycase.custom_field(field_id).await.map_err(mycase_failed)?;
    let request = MappingRequest {
        integration_id: p.id,
        form_id: p.form_id,
        question_id: p.question_id,
        question_type,
        field_id,
        choices: body.choices,
    };
    let mapping = validate(request, definition.as_ref(), Utc::now()).map_err(|refused| {
        let status = if refused.code() == "field_not_found" {
            404
        } else {
            422
        };
        ApiError::new(status, refused.code(), refused.to_string())
    })?;
    api.mappings
        .put(&mapping)
        .await
        .map_err(store_unavailable)?;
    Ok(Json(mapping_json(&mapping)))
}

async fn delete(
    State(api): Api,
    PathParams(p): PathParams<OfQuestion>,
) -> Result<StatusCode, ApiError> {
    api.integration(&p.id).await?;
    match api.mappings.delete(&p.id, &p.form_id, &p.question_id).await {
        Ok(true) => Ok(StatusCode::NO_CONTENT),
        Ok(false) => Err(no_mapping()),
        Err(e) => Err(store_unavailable(e)),
    }
}

fn store_unavailable(e: StoreError) -> ApiError {
    ApiError::store_unavailable(&e, "The mapping store is unavailable; try again.")
}

fn mycase_failed(e: PushError) -> ApiError {
    warn!(kind = %e.reason, "MyCase call failed");
    ApiError::new(e.http_status(), e.reason.to_string(), e.detail)
}

fn no_mapping() -> ApiError {
    ApiError::not_found("mapping_not_found", "This question has no mapping.")
}

fn mapping_json(m: &Mapping) -> Value {
    serde_json::to_value(m).unwrap_or(Value::Null)
}

fn deadline() -> tokio::time::Instant {
    tokio::time::Instant::now() + MYCASE_BUDGET
}

impl MappingApi {
    pub fn upkeep(&self) -> FormFieldUpkeep {
        FormFieldUpkeep {
            mappings: self.mappings.clone(),
            mycase: self.mycase.clone(),
        }
    }

    async fn integration(&self, id: &IntegrationId) -> Result<Integration, ApiError> {
        match self.integrations.get(id).await {
            Ok(Some(i)) => Ok(i),
            Ok(None) => Err(ApiError::not_found(
                "integration_not_found",
                format!("No integration {id}."),
            )),
            Err(e) => Err(store_unavailable(e)),
        }
    }

    async fn find(
        &self,
        id: &IntegrationId,
        form: &FormId,
        question: &QuestionId,
    ) -> Result<Option<Mapping>, ApiError> {
        let key = mapping_key(form, question);
        self.mappings
            .for_form(id, form)
            .await
            .map(|all| all.into_iter().find(|m| m.key() == key))
            .map_err(store_unavailable)
    }
}

#[cfg(test)]
mod tests;
