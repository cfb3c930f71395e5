//! The SAM template against the code: what is deployed must be what was built and tested.
//!
//! - every function binary in the workspace (`functions/*`) has exactly one
//!   `AWS::Serverless::Function` built from it, and every function resource names one;
//! - every environment variable a function is started with in the end-to-end tests
//!   ([`LocalStack::function_env`], the configuration contract) is set for it by the
//!   template, and every `HONA_*` / `MYCASE_*` variable the production code reads is set for
//!   some function and listed in the configuration reference (`docs/configuration.md`,
//!   linked from the README);
//! - the queue wiring the issue asks for: partial batch failures reported, a dead-letter
//!   queue with redrive on every queue, a visibility timeout above the consuming function's
//!   timeout, and an alarm on every dead-letter queue's depth;
//! - the operations dashboard shows only metrics the code emits (the names in
//!   `hona_domain::metrics` and `mycase_client::metrics`), every queue and every alarm; the
//!   time-to-land and failure-rate alarms watch every push type, like the DLQ alarms notify;
//! - arm64 by default, x86_64 selectable through the `Architecture` parameter;
//! - the AWS limits on queues and event sources that cfn-lint does not check and
//!   CloudFormation only enforces at deploy time (`MaximumConcurrency` 2–1000, batch sizes,
//!   batching windows, visibility timeouts, FIFO rules).
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

/// arm64 (Graviton: cheaper per millisecond, smaller bootstraps) unless the stack is
/// deployed with `Architecture=x86_64`; every function follows the one parameter.
#[test]
fn functions_run_on_arm64_by_default_and_x86_64_stays_selectable() -> anyhow::Result<()> {
    let template = template()?;
    let parameter = &template["Parameters"]["Architecture"];
    ensure!(
        parameter["Default"] == "arm64",
        "Parameters.Architecture must default to arm64, is {}",
        parameter["Default"]
    );
    let allowed: BTreeSet<&str> = parameter["AllowedValues"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    ensure!(
        allowed == BTreeSet::from(["arm64", "x86_64"]),
        "Parameters.Architecture must allow exactly arm64 and x86_64, allows {allowed:?}"
    );
    for function in functions_by_binary(&template)?.values() {
        let architectures = property(&template, function, "Architectures");
        ensure!(
            architectures == &serde_json::json!([{"Ref": "Architecture"}]),
            "{}: Architectures must be [!Ref Architecture], is {architectures}",
            function.logical_id
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
    // The README links the configuration reference; the reference lists every variable.
    let root = hona_e2e::workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md"))?;
    ensure!(
        readme.contains("(docs/configuration.md)"),
        "the README does not link the configuration reference docs/configuration.md"
    );
    let reference = std::fs::read_to_string(root.join("docs/configuration.md"))?;
    let mut problems = Vec::new();
    for var in variables_read_by_code()? {
        if !set_somewhere.contains(&var) {
            problems.push(format!(
                "{var}: read by the code, set by no function in the template"
            ));
        }
        if !reference.contains(&format!("`{var}`")) {
            problems.push(format!(
                "{var}: not in the configuration reference (docs/configuration.md)"
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

/// A number the template gives as a number or a string (`"10"` is how some tools write it).
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn is_fifo(queue: &Value) -> bool {
    queue["FifoQueue"] == true || queue["FifoQueue"] == "true"
}

/// The limits AWS puts on SQS queues and Lambda's SQS event sources that cfn-lint (1.58)
/// does not check: a template that lints clean and passes `sam validate --lint` can still
/// be refused by CloudFormation at deploy time (a `MaximumConcurrency` of 1 was), or deploy
/// and redeliver messages while they are still being pushed (a short visibility timeout).
/// Values are read as literals: a limit set through a parameter or `!Sub` is refused here,
/// so it cannot slip past unchecked.
#[test]
fn queues_and_event_sources_stay_within_the_aws_limits_the_linter_misses() -> anyhow::Result<()> {
    let template = template()?;
    let queues = queues(&template);
    let mut problems = Vec::new();

    for (id, queue) in &queues {
        let fifo = is_fifo(queue);
        // A FIFO queue's name must end in `.fifo`, and only a FIFO queue's may. Without a
        // QueueName CloudFormation generates one that does.
        match &queue["QueueName"] {
            Value::Null => {}
            Value::String(name) if name.ends_with(".fifo") != fifo => problems.push(format!(
                "{id}: QueueName {name:?} must {}end in .fifo for a {} queue",
                if fifo { "" } else { "not " },
                if fifo { "FIFO" } else { "standard" }
            )),
            Value::String(_) => {}
            other => {
                let text = other.to_string();
                if text.contains(".fifo") != fifo {
                    problems.push(format!(
                        "{id}: QueueName {text} must {}end in .fifo",
                        if fifo { "" } else { "not " }
                    ));
                }
            }
        }
        // FIFO-only settings on a standard queue are refused.
        if !fifo {
            for setting in [
                "ContentBasedDeduplication",
                "DeduplicationScope",
                "FifoThroughputLimit",
            ] {
                if !queue[setting].is_null() {
                    problems.push(format!("{id}: {setting} is only allowed on a FIFO queue"));
                }
            }
        }
        // A queue's dead-letter queue is of the same kind (SQS refuses a standard DLQ for
        // a FIFO queue and the other way round).
        if let Some(dlq) = target_of(&queue["RedrivePolicy"]["deadLetterTargetArn"]) {
            match queues.get(dlq) {
                None => problems.push(format!(
                    "{id}: dead-letter queue {dlq} is not a queue of this template"
                )),
                Some(d) if is_fifo(d) != fifo => problems.push(format!(
                    "{id} is {} but its dead-letter queue {dlq} is {}",
                    if fifo { "FIFO" } else { "standard" },
                    if is_fifo(d) { "FIFO" } else { "standard" }
                )),
                Some(_) => {}
            }
            match number(&queue["RedrivePolicy"]["maxReceiveCount"]) {
                Some(n) if (1.0..=1000.0).contains(&n) => {}
                other => problems.push(format!("{id}: maxReceiveCount {other:?} is not in 1–1000")),
            }
        }
        if let Some(v) = number(&queue["VisibilityTimeout"]) {
            if !(0.0..=43_200.0).contains(&v) {
                problems.push(format!("{id}: VisibilityTimeout {v} is not in 0–43200 s"));
            }
        }
        if let Some(r) = number(&queue["MessageRetentionPeriod"]) {
            if !(60.0..=1_209_600.0).contains(&r) {
                problems.push(format!(
                    "{id}: MessageRetentionPeriod {r} is not in 60–1209600 s"
                ));
            }
        }
    }

    let mut sources = 0;
    for function in functions_by_binary(&template)?.values() {
        let fid = function.logical_id;
        let timeout = number(property(&template, function, "Timeout")).unwrap_or(3.0);
        for (name, event) in function.properties["Events"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let props = &event["Properties"];
            let at = format!("{fid}.{name}");
            if event["Type"] == "EventBridgeRule" || event["Type"] == "Schedule" {
                // EventBridge cannot send to a FIFO dead-letter queue.
                if let Some(dlq) = target_of(&props["DeadLetterConfig"]["Arn"]) {
                    if queues.get(dlq).is_some_and(|q| is_fifo(q)) {
                        problems.push(format!(
                            "{at}: EventBridge dead-letter queue {dlq} must not be FIFO"
                        ));
                    }
                }
                continue;
            }
            if event["Type"] != "SQS" {
                continue;
            }
            sources += 1;
            // Lambda scales an SQS event source between 2 and 1000 concurrent instances;
            // CloudFormation refuses anything outside (cfn-lint 1.58 no longer says so).
            match number(&props["ScalingConfig"]["MaximumConcurrency"]) {
                Some(n) if (2.0..=1000.0).contains(&n) && n.fract() == 0.0 => {}
                other => problems.push(format!(
                    "{at}: ScalingConfig.MaximumConcurrency {other:?} is not a whole number in 2–1000"
                )),
            }
            let Some(queue_id) = target_of(&props["Queue"]) else {
                problems.push(format!("{at}: Queue is not a queue of this template"));
                continue;
            };
            let Some(queue) = queues.get(queue_id) else {
                problems.push(format!("{at}: no queue {queue_id}"));
                continue;
            };
            let fifo = is_fifo(queue);
            let batch = match &props["BatchSize"] {
                Value::Null => 10.0, // Lambda's default for SQS
                v => number(v).unwrap_or(f64::NAN),
            };
            let window = match &props["MaximumBatchingWindowInSeconds"] {
                Value::Null => 0.0,
                v => number(v).unwrap_or(f64::NAN),
            };
            if fifo {
                // FIFO event sources: at most 10 messages a batch, and no batching window.
                if !(1.0..=10.0).contains(&batch) {
                    problems.push(format!(
                        "{at}: BatchSize {batch} on FIFO queue {queue_id} is not in 1–10"
                    ));
                }
                if !props["MaximumBatchingWindowInSeconds"].is_null() {
                    problems.push(format!(
                        "{at}: MaximumBatchingWindowInSeconds is not supported on FIFO queue {queue_id}"
                    ));
                }
            } else {
                if !(1.0..=10_000.0).contains(&batch) {
                    problems.push(format!("{at}: BatchSize {batch} is not in 1–10000"));
                }
                // More than 10 a batch needs a batching window of at least 1 s.
                if batch > 10.0 && !(window >= 1.0) {
                    problems.push(format!(
                        "{at}: BatchSize {batch} above 10 needs MaximumBatchingWindowInSeconds ≥ 1"
                    ));
                }
            }
            if !(0.0..=300.0).contains(&window) {
                problems.push(format!(
                    "{at}: MaximumBatchingWindowInSeconds {window} is not in 0–300"
                ));
            }
            // AWS refuses a visibility timeout below the function's timeout, and advises six
            // times the timeout plus the batching window, so that a batch retried after a
            // throttled or failed invocation is not redelivered while it is still being
            // pushed; the template follows that advice (its Queues comment), so hold it to it.
            let visibility = match &queue["VisibilityTimeout"] {
                Value::Null => 30.0, // SQS's default
                v => number(v).unwrap_or(f64::NAN),
            };
            let needed = 6.0 * timeout + window;
            if !(visibility >= needed) {
                problems.push(format!(
                    "{queue_id}: VisibilityTimeout {visibility} s is below 6 × {fid}'s timeout ({timeout} s) + batching window ({window} s) = {needed} s"
                ));
            }
        }
    }
    ensure!(sources > 0, "no SQS event sources found");
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(())
}

/// Every metric name the functions emit: the pipeline's and the MyCase client's lists.
fn emitted_metrics() -> BTreeSet<&'static str> {
    hona_domain::metrics::NAMES
        .iter()
        .chain(mycase_client::metrics::NAMES)
        .copied()
        .collect()
}

fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    template["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(id, r)| (id.as_str(), r))
        .collect()
}

/// The `!Sub` template string of the functions' metrics namespace (Globals).
fn metrics_namespace(template: &Value) -> anyhow::Result<&str> {
    template["Globals"]["Function"]["Environment"]["Variables"]["HONA_METRICS_NAMESPACE"]["Fn::Sub"]
        .as_str()
        .context("Globals sets no HONA_METRICS_NAMESPACE (a !Sub per stack)")
}

/// The push type each queue-fed function counts its events under.
const PUSH_TYPE_OF_BINARY: [(&str, &str); 5] = [
    ("log-messages", "messages"),
    ("log-notifications", "notifications"),
    ("log-documents", "documents"),
    ("map-form-fields", "form_fields"),
    ("convert-leads", "leads"),
];

#[test]
fn the_dashboard_shows_only_metrics_the_code_emits_and_every_queue() -> anyhow::Result<()> {
    let template = template()?;
    let emitted = emitted_metrics();
    let namespace = metrics_namespace(&template)?;
    let dashboards = resources_of_type(&template, "AWS::CloudWatch::Dashboard");
    ensure!(dashboards.len() == 1, "expected one dashboard");
    let (id, dashboard) = dashboards[0];
    let body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
        .as_str()
        .with_context(|| format!("{id}: DashboardBody is not a !Sub string"))?;
    // The body is JSON once CloudFormation substitutes `${…}`: check it parses.
    let mut plain = String::new();
    let mut rest = body;
    while let Some(start) = rest.find("${") {
        plain.push_str(&rest[..start]);
        let end = rest[start..].find('}').context("unclosed ${")?;
        plain.push_str("SUBSTITUTED");
        rest = &rest[start + end + 1..];
    }
    plain.push_str(rest);
    let parsed: Value =
        serde_json::from_str(&plain).with_context(|| format!("{id}: the body is not JSON"))?;
    ensure!(
        parsed["widgets"].as_array().is_some_and(|w| w.len() > 5),
        "{id}: no widgets"
    );

    // Every metric the searches name is one the code emits, in the stack's namespace.
    let mut shown = BTreeSet::new();
    for (i, _) in body.match_indices("SEARCH(") {
        let expression = &body[i..i + body[i..].find(", 60)").context("a SEARCH's end")?];
        ensure!(
            expression.contains(&format!("\\\"{namespace}\\\"")),
            "{id}: a search outside the namespace {namespace}: {expression}"
        );
        let name_at = expression
            .find("MetricName=\\\"")
            .with_context(|| format!("{id}: a search without MetricName: {expression}"))?
            + "MetricName=\\\"".len();
        let name = &expression[name_at..name_at + expression[name_at..].find('\\').unwrap_or(0)];
        ensure!(
            emitted.contains(name),
            "{id}: the dashboard shows {name:?}, which no code emits ({emitted:?})"
        );
        shown.insert(name.to_owned());
    }
    for name in [
        "events_landed",
        "events_failed_by_reason",
        "events_skipped",
        "time_to_land",
        "mycase_requests",
        "mycase_throttled",
        "mycase_permit_wait",
        "cold_starts",
    ] {
        ensure!(
            shown.contains(name),
            "{id}: the dashboard does not show {name}"
        );
    }
    // Every queue's age and depth, and every dead-letter queue's depth.
    for (queue, _) in queues(&template) {
        ensure!(
            body.contains(&format!("\"${{{queue}.QueueName}}\"")),
            "{id}: the dashboard does not show the queue {queue}"
        );
    }
    // And the alarms, every one of them.
    for (alarm, _) in resources_of_type(&template, "AWS::CloudWatch::Alarm") {
        ensure!(
            body.contains(&format!("\"${{{alarm}.Arn}}\"")),
            "{id}: the dashboard's alarm widget does not show {alarm}"
        );
    }
    Ok(())
}

#[test]
fn time_to_land_and_the_failure_rate_are_alarmed_like_the_dead_letter_queues() -> anyhow::Result<()>
{
    let template = template()?;
    let emitted = emitted_metrics();
    let namespace = metrics_namespace(&template)?;
    let by_binary = functions_by_binary(&template)?;
    let push_type_of: BTreeMap<&str, &str> = PUSH_TYPE_OF_BINARY
        .iter()
        .map(|(binary, push_type)| {
            let id = by_binary.get(*binary).map(|f| f.logical_id).unwrap_or("?");
            (id, *push_type)
        })
        .collect();
    let dead_letter_alarm = &template["Resources"]["MessagesDeadLettersAlarm"]["Properties"];
    let mut watched: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (id, alarm) in resources_of_type(&template, "AWS::CloudWatch::Alarm") {
        let props = &alarm["Properties"];
        let Some(queries) = props["Metrics"].as_array() else {
            continue;
        };
        ensure!(
            props["AlarmActions"] == dead_letter_alarm["AlarmActions"],
            "{id}: notifies elsewhere than the dead-letter alarms"
        );
        ensure!(
            queries.iter().filter(|q| q["ReturnData"] == true).count() == 1,
            "{id}: exactly one query returns the data the alarm watches"
        );
        for query in queries {
            let stat = &query["MetricStat"];
            if stat.is_null() {
                continue;
            }
            let metric = &stat["Metric"];
            ensure!(
                metric["Namespace"]["Fn::Sub"] == namespace,
                "{id}: a metric outside the namespace {namespace}"
            );
            let name = metric["MetricName"].as_str().unwrap_or_default();
            ensure!(
                emitted.contains(name),
                "{id}: alarms on {name:?}, which no code emits"
            );
            // The dimensions the functions add: their own name and their push type.
            let dims: BTreeMap<&str, &Value> = metric["Dimensions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| Some((d["Name"].as_str()?, &d["Value"])))
                .collect();
            let function = target_of(dims.get("function").copied().unwrap_or(&Value::Null))
                .with_context(|| format!("{id}: {name} without a function dimension"))?;
            ensure!(
                dims.get("push_type").and_then(|v| v.as_str())
                    == push_type_of.get(function).copied(),
                "{id}: {name} of {function} with another push type than it counts"
            );
            watched
                .entry(id)
                .or_default()
                .insert(format!("{name} {}", stat["Stat"].as_str().unwrap_or("")));
        }
    }
    let time_to_land = watched
        .values()
        .find(|w| w.contains("time_to_land p95"))
        .context("no alarm on the p95 of time_to_land")?;
    ensure!(time_to_land.len() == 1);
    ensure!(
        watched.values().any(|w| w.contains("events_failed Sum")
            && w.contains("events_landed Sum")
            && w.len() == 2),
        "no failure-rate alarm (events_failed against events_failed + events_landed)"
    );
    // Each of them over every push type.
    for (id, _) in watched.iter() {
        let queries = template["Resources"][id]["Properties"]["Metrics"]
            .as_array()
            .unwrap();
        let functions: BTreeSet<&str> = queries
            .iter()
            .filter_map(|q| {
                q["MetricStat"]["Metric"]["Dimensions"]
                    .as_array()?
                    .iter()
                    .find(|d| d["Name"] == "function")
                    .and_then(|d| target_of(&d["Value"]))
            })
            .collect();
        ensure!(
            functions.len() == PUSH_TYPE_OF_BINARY.len(),
            "{id}: watches {functions:?}, not every push type"
        );
    }
    Ok(())
}
