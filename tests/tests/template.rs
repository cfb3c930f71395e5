//! The SAM template against the code: what is deployed must be what was built and tested.
//!
//! - every function binary in the workspace (`functions/*`) has exactly one
//!   `AWS::Serverless::Function` built from it, and every function resource names one;
//! - every environment variable a function is started with in the end-to-end tests
//!   ([`LocalStack::function_env`], the configuration contract) is set for it by the
//!   template, and every `HONA_*` / `MYCASE_*` variable the production code reads is set for
//!   some function and listed in the README;
//! - the queue wiring the issue asks for: partial batch failures reported, a dead-letter
//!   queue with redrive on every queue, a visibility timeout above the consuming function's
//!   timeout, and an alarm on every dead-letter queue's depth.
//!
//! The template is read with cfn-lint's own YAML loader (from `.venv`, like moto), so
//! CloudFormation's short tags (`!Ref`, `!GetAtt`, `!Sub`) parse exactly as AWS parses them.

use anyhow::{Context, bail, ensure};
use hona_e2e::LocalStack;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

fn template() -> anyhow::Result<Value> {
    let root = hona_e2e::workspace_root();
    let python = hona_e2e::venv_bin().join("python");
    let out = Command::new(&python)
        .arg("-c")
        .arg(
            "import json, sys\nfrom cfnlint.decode import cfn_yaml\n\
             print(json.dumps(cfn_yaml.load(sys.argv[1])))",
        )
        .arg(root.join("infra/template.yaml"))
        .output()
        .with_context(|| {
            format!(
                "running {} (scripts/bootstrap.sh creates it)",
                python.display()
            )
        })?;
    ensure!(
        out.status.success(),
        "loading infra/template.yaml failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// The bin targets of the workspace packages under `functions/`.
fn function_binaries() -> anyhow::Result<BTreeSet<String>> {
    let root = hona_e2e::workspace_root();
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(&root)
        .output()?;
    ensure!(out.status.success(), "cargo metadata failed");
    let meta: Value = serde_json::from_slice(&out.stdout)?;
    let functions_dir = root.join("functions");
    let mut bins = BTreeSet::new();
    for package in meta["packages"].as_array().context("no packages")? {
        let manifest = Path::new(package["manifest_path"].as_str().unwrap_or_default());
        if !manifest.starts_with(&functions_dir) {
            continue;
        }
        for target in package["targets"].as_array().into_iter().flatten() {
            if target["kind"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k == "bin")
            {
                bins.insert(target["name"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    ensure!(
        !bins.is_empty(),
        "no function binaries found under functions/"
    );
    Ok(bins)
}

struct Function<'a> {
    logical_id: &'a str,
    properties: &'a Value,
}

/// Function resources by the binary they are built from.
fn functions_by_binary(template: &Value) -> anyhow::Result<BTreeMap<String, Function<'_>>> {
    let mut by_binary = BTreeMap::new();
    for (id, resource) in template["Resources"].as_object().context("no Resources")? {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        ensure!(
            resource["Metadata"]["BuildMethod"] == "rust-cargolambda",
            "{id}: Metadata.BuildMethod must be rust-cargolambda"
        );
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .with_context(|| format!("{id}: no Metadata.BuildProperties.Binary"))?;
        let previous = by_binary.insert(
            binary.to_owned(),
            Function {
                logical_id: id,
                properties: &resource["Properties"],
            },
        );
        ensure!(previous.is_none(), "two function resources build {binary}");
    }
    Ok(by_binary)
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// The variables the template sets for one function: the Globals plus its own.
fn template_env(template: &Value, function: &Function<'_>) -> BTreeSet<String> {
    let mut env = keys(&template["Globals"]["Function"]["Environment"]["Variables"]);
    env.extend(keys(&function.properties["Environment"]["Variables"]));
    env
}

/// A function property, falling back to `Globals.Function`.
fn property<'a>(template: &'a Value, function: &'a Function<'_>, name: &str) -> &'a Value {
    match &function.properties[name] {
        Value::Null => &template["Globals"]["Function"][name],
        value => value,
    }
}

#[test]
fn every_function_binary_is_deployed_by_exactly_one_resource_and_nothing_else_is()
-> anyhow::Result<()> {
    let template = template()?;
    let binaries = function_binaries()?;
    let deployed = functions_by_binary(&template)?;
    let deployed_names: BTreeSet<String> = deployed.keys().cloned().collect();
    let missing: Vec<_> = binaries.difference(&deployed_names).collect();
    let unknown: Vec<_> = deployed_names.difference(&binaries).collect();
    ensure!(
        missing.is_empty(),
        "function binaries with no resource in the template: {missing:?}"
    );
    ensure!(
        unknown.is_empty(),
        "template functions built from no workspace binary: {unknown:?}"
    );
    for function in deployed.values() {
        let id = function.logical_id;
        ensure!(
            property(&template, function, "CodeUri") == "..",
            "{id}: CodeUri must be the workspace root (..)"
        );
        ensure!(
            property(&template, function, "Runtime") == "provided.al2023",
            "{id}: runtime must be provided.al2023"
        );
        ensure!(
            property(&template, function, "LoggingConfig")["LogFormat"] == "JSON",
            "{id}: logs must be JSON"
        );
        ensure!(
            property(&template, function, "Timeout").is_number(),
            "{id}: no Timeout"
        );
        ensure!(
            property(&template, function, "MemorySize").is_number(),
            "{id}: no MemorySize"
        );
    }
    Ok(())
}

#[tokio::test]
async fn the_template_sets_every_variable_each_function_is_tested_with() -> anyhow::Result<()> {
    let template = template()?;
    let deployed = functions_by_binary(&template)?;
    let stack = LocalStack::start().await?;
    for binary in function_binaries()? {
        let function = deployed
            .get(&binary)
            .with_context(|| format!("{binary} has no resource"))?;
        let set = template_env(&template, function);
        let needed: BTreeSet<String> = stack
            .function_env(&binary)
            .into_iter()
            .map(|(k, _)| k)
            // The Lambda service sets these itself (and AWS_ENDPOINT_URL is for local only).
            .filter(|k| !k.starts_with("AWS_"))
            .collect();
        let unset: Vec<_> = needed.difference(&set).collect();
        ensure!(
            unset.is_empty(),
            "{binary}: the template does not set {unset:?}"
        );
    }
    Ok(())
}

/// `HONA_*` / `MYCASE_*` string literals in the production crates (not tests, not fakes,
/// not the sandbox): every variable the deployed code can read.
fn variables_read_by_code() -> anyhow::Result<BTreeSet<String>> {
    let root = hona_e2e::workspace_root();
    let mut dirs = vec![
        root.join("shared/domain/src"),
        root.join("shared/operations/src"),
        root.join("shared/mycase-adapter/src"),
        root.join("shared/mycase-client/src"),
        root.join("shared/aws-adapters/src"),
    ];
    for entry in std::fs::read_dir(root.join("functions"))? {
        dirs.push(entry?.path().join("src"));
    }
    let mut found = BTreeSet::new();
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        // A folder that is gone is an error, not an empty set: a renamed crate must not
        // silently drop out of this check.
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path
                    .file_name()
                    .is_some_and(|n| n == "fakes.rs" || n.to_string_lossy().ends_with("tests.rs"))
            {
                files.push(path);
            }
        }
    }
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        for (i, _) in text.match_indices('"') {
            let rest = &text[i + 1..];
            let end = rest.find('"').unwrap_or(0);
            let literal = &rest[..end];
            let is_var = (literal.starts_with("HONA_") || literal.starts_with("MYCASE_"))
                && literal.len() > 6
                && literal
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if is_var {
                found.insert(literal.to_owned());
            }
        }
    }
    ensure!(
        found.contains("HONA_LEDGER_TABLE"),
        "the scan found no known variable: is it broken?"
    );
    Ok(found)
}

#[test]
fn every_variable_the_code_reads_is_set_by_the_template_and_documented() -> anyhow::Result<()> {
    let template = template()?;
    let deployed = functions_by_binary(&template)?;
    let mut set_somewhere = keys(&template["Globals"]["Function"]["Environment"]["Variables"]);
    for function in deployed.values() {
        set_somewhere.extend(keys(&function.properties["Environment"]["Variables"]));
    }
    let readme = std::fs::read_to_string(hona_e2e::workspace_root().join("README.md"))?;
    let mut problems = Vec::new();
    for var in variables_read_by_code()? {
        if !set_somewhere.contains(&var) {
            problems.push(format!(
                "{var}: read by the code, set by no function in the template"
            ));
        }
        if !readme.contains(&format!("`{var}`")) {
            problems.push(format!(
                "{var}: not in the README's configuration reference"
            ));
        }
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(())
}

fn queues(template: &Value) -> BTreeMap<&str, &Value> {
    template["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, r)| r["Type"] == "AWS::SQS::Queue")
        .map(|(id, r)| (id.as_str(), &r["Properties"]))
        .collect()
}

/// The logical id a `!GetAtt X.Arn` / `!Ref X` points at.
fn target_of(value: &Value) -> Option<&str> {
    if let Some(s) = value["Ref"].as_str() {
        return Some(s);
    }
    match &value["Fn::GetAtt"] {
        Value::Array(parts) => parts.first().and_then(Value::as_str),
        Value::String(s) => s.split('.').next(),
        _ => None,
    }
}

#[test]
fn every_queue_redrives_to_an_alarmed_dead_letter_queue_and_outlives_its_function()
-> anyhow::Result<()> {
    let template = template()?;
    let queues = queues(&template);
    let dead_letter_queues: BTreeSet<&str> = queues
        .values()
        .filter_map(|q| target_of(&q["RedrivePolicy"]["deadLetterTargetArn"]))
        .collect();
    ensure!(
        !dead_letter_queues.is_empty(),
        "no queue has a RedrivePolicy"
    );
    for (id, queue) in &queues {
        if dead_letter_queues.contains(id) {
            continue;
        }
        ensure!(
            queue["RedrivePolicy"]["maxReceiveCount"].is_number()
                || queue["RedrivePolicy"]["maxReceiveCount"].is_string(),
            "{id}: no dead-letter queue (RedrivePolicy)"
        );
    }
    // Every dead-letter queue has a depth alarm.
    let alarmed: BTreeSet<String> = template["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, r)| r["Type"] == "AWS::CloudWatch::Alarm")
        .filter(|(_, r)| r["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible")
        .flat_map(|(_, r)| {
            r["Properties"]["Dimensions"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|d| target_of(&d["Value"]).map(str::to_owned))
        .collect();
    for dlq in &dead_letter_queues {
        ensure!(
            alarmed.contains(*dlq),
            "{dlq}: dead-letter queue without a depth alarm"
        );
    }
    // SQS event sources: partial batch failures, and a visibility timeout above the
    // function's timeout (else a message is redelivered while it is still being pushed).
    let mut sources = 0;
    for function in functions_by_binary(&template)?.values() {
        let timeout = match property(&template, function, "Timeout") {
            Value::Number(n) => n.as_u64().unwrap_or(0),
            Value::String(s) => s.parse().unwrap_or(0),
            _ => 3, // Lambda's default
        };
        for (name, event) in function.properties["Events"]
            .as_object()
            .into_iter()
            .flatten()
        {
            if event["Type"] != "SQS" {
                continue;
            }
            sources += 1;
            let id = function.logical_id;
            let props = &event["Properties"];
            ensure!(
                props["FunctionResponseTypes"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t == "ReportBatchItemFailures")),
                "{id}.{name}: FunctionResponseTypes must include ReportBatchItemFailures"
            );
            ensure!(
                props["ScalingConfig"]["MaximumConcurrency"].is_number(),
                "{id}.{name}: no MaximumConcurrency (the MyCase budget depends on it)"
            );
            let queue_id =
                target_of(&props["Queue"]).with_context(|| format!("{id}.{name}: Queue"))?;
            let queue = queues
                .get(queue_id)
                .with_context(|| format!("{id}.{name}: no queue {queue_id}"))?;
            let visibility = match &queue["VisibilityTimeout"] {
                Value::Number(n) => n.as_u64().unwrap_or(0),
                Value::String(s) => s.parse().unwrap_or(0),
                _ => 30, // SQS's default
            };
            ensure!(
                visibility > timeout,
                "{queue_id}: visibility timeout {visibility}s is not above {id}'s timeout {timeout}s"
            );
        }
    }
    ensure!(sources > 0, "no SQS event sources found");
    Ok(())
}

/// SPEC §5: the bundle as a whole stays under 20 MyCase requests a second. Each
/// queue-fed function can run `MaximumConcurrency` instances, each limited to its
/// `MYCASE_RATE_LIMIT_PER_SECOND`; together they must fit the budget (the HTTP
/// functions, called by people, use what is left under MyCase's 25/s).
#[test]
fn the_queue_fed_functions_together_stay_within_the_mycase_budget() -> anyhow::Result<()> {
    const BUDGET: f64 = 20.0;
    let template = template()?;
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    let mut total = 0.0;
    let mut shares = Vec::new();
    for (binary, function) in functions_by_binary(&template)? {
        let rate = number(&function.properties["Environment"]["Variables"]["MYCASE_RATE_LIMIT_PER_SECOND"])
            .or_else(|| {
                number(&template["Globals"]["Function"]["Environment"]["Variables"]["MYCASE_RATE_LIMIT_PER_SECOND"])
            })
            .with_context(|| format!("{binary}: no MYCASE_RATE_LIMIT_PER_SECOND"))?;
        let mut instances = 0.0;
        for event in function.properties["Events"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, e)| e)
        {
            if event["Type"] == "SQS" {
                instances += number(&event["Properties"]["ScalingConfig"]["MaximumConcurrency"])
                    .with_context(|| format!("{binary}: no MaximumConcurrency"))?;
            }
        }
        if instances > 0.0 {
            total += rate * instances;
            shares.push(format!("{binary} {instances} x {rate}/s"));
        }
    }
    ensure!(
        total <= BUDGET,
        "the queue-fed functions may send {total} requests/s, over the {BUDGET}/s budget: {}",
        shares.join(", ")
    );
    Ok(())
}
