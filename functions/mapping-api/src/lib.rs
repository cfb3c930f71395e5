//! The mapping API's routes and validation, free of Lambda and AWS types so they are
//! unit-tested over in-memory ports. `main.rs` only adapts API Gateway requests.
//!
//! | method | path | does |
//! |---|---|---|
//! | `GET` | `/integrations/{id}/custom-fields?question_type=T` | compatible MyCase case fields |
//! | `GET` | `/integrations/{id}/mappings` | every mapping of the integration |
//! | `GET` | `/integrations/{id}/forms/{form_id}/questions/{question_id}/mapping` | one mapping |
//! | `PUT` | same | save it (body: `question_type`, `custom_field_id`, `choices`?) |
//! | `DELETE` | same | remove it |
//!
//! Errors are `{"error": {"code": "...", "message": "..."}}` with a 4xx/5xx status.

pub mod http;

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
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tracing::{info, warn};

/// How long one API call may spend on MyCase (API Gateway's limit is 30 s).
const MYCASE_BUDGET: Duration = Duration::from_secs(20);

pub struct MappingApi {
    pub integrations: Arc<dyn IntegrationStore>,
    pub mappings: Arc<dyn MappingStore>,
    pub mycase: Arc<dyn Connect<dyn CaseFields>>,
}

/// A request as the routes need it.
pub struct ApiRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: HashMap<String, String>,
    pub body: &'a [u8],
}

/// A JSON answer (`body` is `None` for 204).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub body: Option<Value>,
}

impl ApiResponse {
    fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body: Some(body),
        }
    }
    fn error(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: Some(json!({"error": {"code": code, "message": message.into()}})),
        }
    }
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

enum Route {
    CustomFields(IntegrationId),
    Mappings(IntegrationId),
    Mapping(IntegrationId, FormId, QuestionId),
}

fn store_unavailable(e: StoreError) -> ApiResponse {
    warn!(error = %e, "store unavailable");
    ApiResponse::error(
        503,
        "store_unavailable",
        "The mapping store is unavailable; try again.",
    )
}

fn mycase_failed(e: PushError) -> ApiResponse {
    warn!(kind = %e.reason, "MyCase call failed");
    ApiResponse::error(e.http_status(), e.reason.as_str(), e.detail)
}

fn mapping_json(m: &Mapping) -> Value {
    serde_json::to_value(m).unwrap_or(Value::Null)
}

/// Finds the route; a stage prefix (`/prod/integrations/…`) is tolerated.
fn route(path: &str) -> Result<Route, ApiResponse> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let start = segments
        .iter()
        .position(|s| *s == "integrations")
        .ok_or_else(|| ApiResponse::error(404, "not_found", "No such route."))?;
    let bad = |what: &str| {
        ApiResponse::error(
            400,
            "invalid_path",
            format!("The {what} in the path is not valid."),
        )
    };
    match &segments[start + 1..] {
        [id, "custom-fields"] => Ok(Route::CustomFields(
            IntegrationId::parse(id).map_err(|_| bad("integration id"))?,
        )),
        [id, "mappings"] => Ok(Route::Mappings(
            IntegrationId::parse(id).map_err(|_| bad("integration id"))?,
        )),
        [id, "forms", form, "questions", question, "mapping"] => Ok(Route::Mapping(
            IntegrationId::parse(id).map_err(|_| bad("integration id"))?,
            FormId::parse(form).map_err(|_| bad("form id"))?,
            QuestionId::parse(question).map_err(|_| bad("question id"))?,
        )),
        _ => Err(ApiResponse::error(404, "not_found", "No such route.")),
    }
}

fn method_not_allowed(allowed: &str) -> ApiResponse {
    ApiResponse::error(405, "method_not_allowed", format!("Use {allowed}."))
}

impl MappingApi {
    pub fn upkeep(&self) -> FormFieldUpkeep {
        FormFieldUpkeep {
            mappings: self.mappings.clone(),
            mycase: self.mycase.clone(),
        }
    }

    pub async fn handle(&self, request: ApiRequest<'_>) -> ApiResponse {
        let route = match route(request.path) {
            Ok(r) => r,
            Err(response) => return response,
        };
        let response = match (request.method, route) {
            ("GET", Route::CustomFields(id)) => self.custom_fields(&id, &request.query).await,
            (_, Route::CustomFields(_)) => method_not_allowed("GET"),
            ("GET", Route::Mappings(id)) => self.list(&id).await,
            (_, Route::Mappings(_)) => method_not_allowed("GET"),
            ("GET", Route::Mapping(id, form, question)) => self.get(&id, &form, &question).await,
            ("PUT", Route::Mapping(id, form, question)) => {
                self.save(&id, form, question, request.body).await
            }
            ("DELETE", Route::Mapping(id, form, question)) => {
                self.delete(&id, &form, &question).await
            }
            (_, Route::Mapping(..)) => method_not_allowed("GET, PUT or DELETE"),
        };
        info!(
            method = request.method,
            status = response.status,
            "mapping API request"
        );
        response
    }

    async fn integration(&self, id: &IntegrationId) -> Result<Integration, ApiResponse> {
        match self.integrations.get(id).await {
            Ok(Some(i)) => Ok(i),
            Ok(None) => Err(ApiResponse::error(
                404,
                "integration_not_found",
                format!("No integration {id}."),
            )),
            Err(e) => Err(store_unavailable(e)),
        }
    }

    fn deadline() -> tokio::time::Instant {
        tokio::time::Instant::now() + MYCASE_BUDGET
    }

    async fn custom_fields(
        &self,
        id: &IntegrationId,
        query: &HashMap<String, String>,
    ) -> ApiResponse {
        let Some(question_type) = query
            .get("question_type")
            .and_then(|q| QuestionType::parse(q))
        else {
            return ApiResponse::error(
                400,
                "invalid_question_type",
                "Give `question_type`: one of short_text, long_text, number, date, yes_no, single_choice, multiple_choice, email, phone, address, file_upload, signature.",
            );
        };
        let integration = match self.integration(id).await {
            Ok(i) => i,
            Err(r) => return r,
        };
        let catalogue = match self
            .upkeep()
            .catalogue(&integration, Self::deadline())
            .await
        {
            Ok(c) => c,
            Err(e) => return mycase_failed(e),
        };
        let fields: Vec<Value> = catalogue
            .compatible_with(question_type)
            .into_iter()
            .map(|f| serde_json::to_value(f).unwrap_or(Value::Null))
            .collect();
        ApiResponse::ok(json!({
            "question_type": question_type,
            "fields": fields,
            "refreshed_at": catalogue.refreshed_at,
        }))
    }

    async fn list(&self, id: &IntegrationId) -> ApiResponse {
        if let Err(r) = self.integration(id).await {
            return r;
        }
        match self.mappings.list(id).await {
            Ok(all) => ApiResponse::ok(
                json!({"mappings": all.iter().map(mapping_json).collect::<Vec<_>>()}),
            ),
            Err(e) => store_unavailable(e),
        }
    }

    async fn find(
        &self,
        id: &IntegrationId,
        form: &FormId,
        question: &QuestionId,
    ) -> Result<Option<Mapping>, ApiResponse> {
        let key = mapping_key(form, question);
        self.mappings
            .for_form(id, form)
            .await
            .map(|all| all.into_iter().find(|m| m.key() == key))
            .map_err(store_unavailable)
    }

    async fn get(&self, id: &IntegrationId, form: &FormId, question: &QuestionId) -> ApiResponse {
        if let Err(r) = self.integration(id).await {
            return r;
        }
        match self.find(id, form, question).await {
            Ok(Some(m)) => ApiResponse::ok(mapping_json(&m)),
            Ok(None) => {
                ApiResponse::error(404, "mapping_not_found", "This question has no mapping.")
            }
            Err(r) => r,
        }
    }

    async fn save(
        &self,
        id: &IntegrationId,
        form: FormId,
        question: QuestionId,
        body: &[u8],
    ) -> ApiResponse {
        let body: SaveBody = match serde_json::from_slice(body) {
            Ok(b) => b,
            Err(e) => {
                return ApiResponse::error(
                    400,
                    "invalid_body",
                    format!(
                        "The body must be JSON with `question_type`, `custom_field_id` and optional `choices`: {e}"
                    ),
                );
            }
        };
        let Some(question_type) = QuestionType::parse(&body.question_type) else {
            return ApiResponse::error(
                400,
                "invalid_question_type",
                "`question_type` is not one of the twelve question types.",
            );
        };
        let Ok(field_id) = CustomFieldId::new(body.custom_field_id) else {
            return ApiResponse::error(
                400,
                "invalid_custom_field_id",
                "`custom_field_id` must be a positive integer.",
            );
        };
        let integration = match self.integration(id).await {
            Ok(i) => i,
            Err(r) => return r,
        };
        // Checked against MyCase as it is now, not the cache: a save must never rest
        // on a field that was deleted or retyped since the dropdown was filled.
        let definition = match self.mycase.connect(&integration, Self::deadline()).await {
            Ok(mycase) => match mycase.custom_field(field_id).await {
                Ok(d) => d,
                Err(e) => return mycase_failed(e),
            },
            Err(e) => return mycase_failed(e),
        };
        let request = MappingRequest {
            integration_id: id.clone(),
            form_id: form,
            question_id: question,
            question_type,
            field_id,
            choices: body.choices,
        };
        let mapping = match validate(request, definition.as_ref(), Utc::now()) {
            Ok(m) => m,
            Err(refused) => {
                let status = if refused.code() == "field_not_found" {
                    404
                } else {
                    422
                };
                return ApiResponse::error(status, refused.code(), refused.to_string());
            }
        };
        match self.mappings.put(&mapping).await {
            Ok(()) => ApiResponse::ok(mapping_json(&mapping)),
            Err(e) => store_unavailable(e),
        }
    }

    async fn delete(
        &self,
        id: &IntegrationId,
        form: &FormId,
        question: &QuestionId,
    ) -> ApiResponse {
        if let Err(r) = self.integration(id).await {
            return r;
        }
        match self.mappings.delete(id, form, question).await {
            Ok(true) => ApiResponse {
                status: 204,
                body: None,
            },
            Ok(false) => {
                ApiResponse::error(404, "mapping_not_found", "This question has no mapping.")
            }
            Err(e) => store_unavailable(e),
        }
    }
}

#[cfg(test)]
mod tests;
