//! Reading each function's configuration: defaults, missing and malformed values, and
//! every problem named at once.

use super::*;
use std::collections::HashMap;

/// What the template sets for a queue-fed function (no optional variables).
fn base() -> HashMap<&'static str, &'static str> {
    HashMap::from([
        ("HONA_INTEGRATIONS_TABLE", "integrations"),
        ("HONA_IDEMPOTENCY_TABLE", "idempotency"),
        ("HONA_LEDGER_TABLE", "ledger"),
        ("HONA_CASE_THREADS_TABLE", "threads"),
        ("HONA_LEASES_TABLE", "leases"),
        ("HONA_SECRET_PREFIX", "hona/"),
        ("HONA_DEAD_LETTER_QUEUE_URL", "https://sqs/dlq"),
    ])
}

fn read<T: FromEnv>(vars: &HashMap<&'static str, &'static str>) -> Result<T, ConfigError> {
    T::from_lookup(&|name| vars.get(name).map(|v| (*v).to_owned()))
}

#[test]
fn defaults_apply_when_optional_variables_are_unset() {
    let config: PushConfig = read(&base()).unwrap();
    let aws = config.aws;
    assert_eq!(
        aws.names.secret_prefix, "hona",
        "a trailing slash is dropped"
    );
    assert_eq!(aws.names.dead_letter_queue_url, "https://sqs/dlq");
    assert_eq!(aws.endpoints, MyCaseEndpoints::default());
    assert_eq!(aws.rate_per_second, DEFAULT_RATE_PER_SECOND);
    assert!(!aws.local_aws_endpoint);

    let mut vars = base();
    vars.insert("HONA_MAPPINGS_TABLE", "mappings");
    vars.insert("HONA_LEADS_TABLE", "leads");
    vars.insert("HONA_NIGHTLY_QUEUE_URL", "https://sqs/nightly");
    vars.insert("HONA_QUEUE_URL_LEADS", "https://sqs/leads");
    let nightly: NightlyConfig = read(&vars).unwrap();
    assert_eq!(nightly.redrive_budget, 50);
    assert_eq!(nightly.queues.leads.as_deref(), Some("https://sqs/leads"));
    assert_eq!(nightly.queues.messages, None);
}

#[test]
fn set_values_are_used() {
    let mut vars = base();
    vars.insert("MYCASE_API_URL", "http://127.0.0.1:9000/mycase/");
    vars.insert("MYCASE_RATE_LIMIT_PER_SECOND", " 2.5 ");
    vars.insert("AWS_ENDPOINT_URL", "http://127.0.0.1:5000");
    vars.insert("HONA_DOCUMENTS_BUCKET", " client-files ");
    let config: DocumentsConfig = read(&vars).unwrap();
    assert_eq!(
        config.aws.endpoints.api_url.as_str(),
        "http://127.0.0.1:9000/mycase/"
    );
    assert_eq!(config.aws.rate_per_second, 2.5);
    assert!(config.aws.local_aws_endpoint);
    assert_eq!(config.documents_bucket, "client-files");
}

#[test]
fn a_missing_variable_is_named() {
    let mut vars = base();
    vars.remove("HONA_LEDGER_TABLE");
    let err = read::<PushConfig>(&vars).unwrap_err();
    assert_eq!(err.0, vec![ConfigProblem::Missing("HONA_LEDGER_TABLE")]);
    assert_eq!(
        err.to_string(),
        "configuration: HONA_LEDGER_TABLE is missing"
    );

    vars = base();
    vars.insert("HONA_LEADS_TABLE", "  ");
    let err = read::<LeadsConfig>(&vars).unwrap_err();
    assert_eq!(
        err.0,
        vec![ConfigProblem::Missing("HONA_LEADS_TABLE")],
        "blank is unset"
    );
}

#[test]
fn malformed_values_are_errors_not_defaults() {
    for (var, raw) in [
        ("MYCASE_RATE_LIMIT_PER_SECOND", "twenty"),
        ("MYCASE_RATE_LIMIT_PER_SECOND", "0"),
        ("MYCASE_RATE_LIMIT_PER_SECOND", "-3"),
        ("MYCASE_RATE_LIMIT_PER_SECOND", "inf"),
        ("MYCASE_AUTH_URL", "ftp://auth"),
        ("MYCASE_API_URL", "not a url"),
    ] {
        let mut vars = base();
        vars.insert(var, raw);
        let err = read::<PushConfig>(&vars).unwrap_err();
        assert!(
            matches!(&err.0[..], [ConfigProblem::Malformed { var: v, .. }] if *v == var),
            "{var}={raw}: {err}"
        );
        assert!(
            !err.to_string().contains(raw),
            "the value is not repeated: {err}"
        );
    }
}

#[test]
fn every_problem_is_named_at_once() {
    let mut vars = base();
    vars.remove("HONA_INTEGRATIONS_TABLE");
    vars.remove("HONA_DEAD_LETTER_QUEUE_URL");
    vars.insert("MYCASE_RATE_LIMIT_PER_SECOND", "fast");
    vars.insert("HONA_NIGHTLY_REDRIVE_BUDGET", "-1");
    let err = read::<NightlyConfig>(&vars).unwrap_err();
    let named: Vec<&str> = err
        .0
        .iter()
        .map(|p| match p {
            ConfigProblem::Missing(v) | ConfigProblem::Malformed { var: v, .. } => *v,
        })
        .collect();
    assert_eq!(
        named,
        vec![
            "HONA_INTEGRATIONS_TABLE",
            "HONA_DEAD_LETTER_QUEUE_URL",
            "MYCASE_RATE_LIMIT_PER_SECOND",
            "HONA_MAPPINGS_TABLE",
            "HONA_LEADS_TABLE",
            "HONA_NIGHTLY_QUEUE_URL",
            "HONA_NIGHTLY_REDRIVE_BUDGET",
        ]
    );
    let text = err.to_string();
    assert!(
        text.contains("HONA_INTEGRATIONS_TABLE is missing; HONA_DEAD_LETTER_QUEUE_URL is missing;"),
        "{text}"
    );
    assert!(
        text.contains("MYCASE_RATE_LIMIT_PER_SECOND is not a positive number"),
        "{text}"
    );
}

#[test]
fn http_functions_need_no_dead_letter_queue() {
    let mut vars = base();
    vars.remove("HONA_DEAD_LETTER_QUEUE_URL");
    assert!(read::<ConnectConfig>(&vars).is_ok());
    let err = read::<MappingApiConfig>(&vars).unwrap_err();
    assert_eq!(err.0, vec![ConfigProblem::Missing("HONA_MAPPINGS_TABLE")]);
    vars.insert("HONA_MAPPINGS_TABLE", "mappings");
    let admin: AdminConfig = read(&vars).unwrap();
    assert_eq!(admin.aws.names.dead_letter_queue_url, "");
    assert_eq!(admin.queues.nightly, None);
}
