//! The documents benchmark: peak memory and throughput of the upload path (moto S3 →
//! MyCase sandbox) per file size, next to a plain `curl` download-then-upload of the
//! same file in the same run.
//!
//! ```text
//! bench-documents [--sizes 10M,100M,1G] [--runs N]
//! ```
//!
//! Each size is measured `--runs` times (default 3), the two paths alternating; the table
//! gives each path's median time and the upload path's highest peak RSS.
//!
//! For each size: a file of that many bytes is written to disk and `curl -T` into moto's
//! S3 (path-style; moto ignores signatures). Then:
//!
//! - **upload path**: this binary re-runs itself as a child (`--child EVENT_FILE`) with
//!   exactly `log-documents`' environment and wiring (`DocumentsConfig::from_env`, `Aws::new`, `aws.documents()`,
//!   `aws.stores()`, one `document.received` through the pipeline). The child reports its
//!   wall time and its peak RSS (`VmHWM` from `/proc/self/status`), so the figure is the
//!   function's own process, not this one (which also hosts the sandbox).
//! - **plain copy**: `curl` GETs the object to a file, a document is created in the
//!   sandbox, and `curl -T` PUTs the file to its `put_url` with its `put_headers`.
//!
//! Both uploads are checked in the sandbox (size and sha256) before a row is printed.
//! Run it through `scripts/bench.sh documents` (bench-release build).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use hona_e2e::hona::{DocumentFile, document};
use hona_e2e::scenario::{FirmSpec, firm_state, seed_firm};
use hona_e2e::{LocalStack, StackOptions};
use mycase_sandbox::wire::FirmState;
use serde_json::{Value, json};
use sha2::Digest;
use std::io::Write;

/// moto answers anonymous requests to an owned bucket with 403, but does not check
/// signatures: any SigV4-shaped header for its test account will do.
const MOTO_AUTH: &str = "Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";
const RESULT_PREFIX: &str = "BENCH_DOCUMENTS_RESULT ";
const TARGET_RSS_MIB: f64 = 64.0;
const TARGET_RATIO: f64 = 0.8;

const FIRM: FirmSpec<'static> = FirmSpec {
    name: "Benchmark Law",
    org_id: "org_bench",
    integration_id: "int_mycase_bench",
    time_zone: "America/Chicago",
    log_target: "thread",
    active: true,
    clients: &[("Casey Bench", "(312) 555-0100")],
};

/// Peak memory and throughput of log-documents' upload path per file size, next to a
/// plain curl copy. Run it through `scripts/bench.sh documents`.
#[derive(Parser)]
#[command(name = "bench-documents")]
struct Args {
    /// File sizes, comma-separated: bytes, or K/M/G = KiB/MiB/GiB
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_size,
          default_value = "10M,100M,1G")]
    sizes: Vec<u64>,
    /// Runs per size (0 counts as 1)
    #[arg(long, value_name = "N", default_value_t = 3)]
    runs: usize,
    /// Internal: run as the measured child on this event file (see the module doc).
    #[arg(long, value_name = "EVENT_FILE", hide = true, exclusive = true)]
    child: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if let Some(event) = &args.child {
        return runtime.block_on(child(event));
    }
    runtime.block_on(orchestrate(&args.sizes, args.runs.max(1)))
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, shift) = match s.chars().last() {
        Some('K' | 'k') => (&s[..s.len() - 1], 10),
        Some('M' | 'm') => (&s[..s.len() - 1], 20),
        Some('G' | 'g') => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    let n = digits
        .parse::<u64>()
        .map_err(|e| format!("size {s:?}: {e}"))?;
    Ok(n << shift)
}

/// The measured process: `log-documents`' own wiring, one event, then its figures.
async fn child(event_file: &Path) -> anyhow::Result<()> {
    let body = std::fs::read_to_string(event_file)?;
    use aws_adapters::config::{DocumentsConfig, FromEnv};
    let config = DocumentsConfig::from_env()?;
    let aws = aws_adapters::Aws::new(&config.aws).await;
    let pipeline =
        hona_domain::Pipeline::new(aws.documents(&config.documents_bucket), aws.stores());
    let started = Instant::now();
    let result = pipeline
        .process(
            &body,
            None,
            hona_domain::Deadline::in_(Duration::from_secs(900)),
        )
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{RESULT_PREFIX}{}",
        json!({"result": format!("{result:?}"), "elapsed_s": elapsed, "vmhwm_kib": vm_hwm_kib()})
    );
    Ok(())
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

struct Row {
    size: u64,
    path_rss_mib: f64,
    path_s: f64,
    curl_s: f64,
}

async fn orchestrate(sizes: &[u64], runs: usize) -> anyhow::Result<()> {
    let work = hona_e2e::target_dir().join("tmp/bench-documents");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let sandbox = mycase_sandbox::SandboxConfig {
        rate_limit_per_second: None,
        max_upload_bytes: 5 << 30,
        data_dir: work.join("sandbox"),
        ..mycase_sandbox::SandboxConfig::default()
    };
    let stack = LocalStack::start_with(StackOptions {
        sandbox,
        rust_log: "warn".into(),
        ..StackOptions::default()
    })
    .await?;
    let seeded = seed_firm(&stack, &FIRM).await?;
    let case = seeded.firm.cases[0].clone();
    let http = reqwest::Client::new();
    let exe = std::env::current_exe()?;
    println!(
        "bench-documents: moto {} · sandbox {}",
        stack.endpoint_url(),
        stack.mycase_url()
    );

    let mut rows = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        let file = work.join(format!("file-{size}"));
        let sha = write_file(&file, size, i as u64 + 1)?;
        // Under the firm's own prefix (SPEC §2), or the push refuses it.
        let key = format!(
            "{}/{}/bench/{size}",
            seeded.firm.org_id, seeded.firm.integration_id
        );
        let object_url = format!("{}/{}/{key}", stack.endpoint_url(), stack.documents_bucket);
        curl(&[
            "-sSf",
            "-o",
            "/dev/null",
            "-H",
            MOTO_AUTH,
            "-T",
            path_str(&file)?,
            &object_url,
        ])
        .await?;

        let (mut path_times, mut curl_times, mut rss_kib) = (Vec::new(), Vec::new(), 0f64);
        for run in 0..runs {
            // The upload path, in its own process.
            let event_id = format!("evt_bench_doc_{i}_{run}");
            let at = chrono::DateTime::parse_from_rfc3339("2026-11-24T14:03:22-08:00")?;
            let event = document(
                &seeded.firm,
                &case,
                &event_id,
                at,
                &DocumentFile {
                    source: "portal",
                    file_name: "bench.bin",
                    content_type: "application/octet-stream",
                    bucket: &stack.documents_bucket,
                    key: &key,
                    size_bytes: size,
                    sha256: sha.clone(),
                    extra: json!({}),
                },
            );
            let event_file = work.join(format!("{event_id}.json"));
            std::fs::write(&event_file, event.to_string())?;
            let out = tokio::process::Command::new(&exe)
                .arg("--child")
                .arg(&event_file)
                .env_clear()
                .envs(stack.function_env("log-documents"))
                .stderr(Stdio::inherit())
                .output()
                .await?;
            let stdout = String::from_utf8_lossy(&out.stdout);
            let figures: Value = stdout
                .lines()
                .find_map(|l| l.strip_prefix(RESULT_PREFIX))
                .map(serde_json::from_str)
                .transpose()?
                .with_context(|| format!("child printed no result: {stdout}"))?;
            anyhow::ensure!(
                figures["result"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("Landed"),
                "the upload path did not land the file: {figures}"
            );
            let state = firm_state(&stack, &seeded.firm_uuid).await?;
            check_landed(&state, &format!("ref {event_id}"), size, &sha)?;

            // The plain copy: curl GET to disk, then curl PUT to a fresh put_url.
            let copy = work.join(format!("copy-{size}-{run}"));
            let started = Instant::now();
            curl(&["-sSf", "-H", MOTO_AUTH, "-o", path_str(&copy)?, &object_url]).await?;
            let created: Value = http
                .post(format!("{}/v1/cases/{}/documents", stack.mycase_url(), case.case_id))
                .bearer_auth(&seeded.initial_access_token)
                .json(&json!({"path": "Bench/curl copy", "filename": "curl.bin", "description": format!("curl copy {size} run {run}")}))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let put_url = created["put_url"].as_str().context("put_url")?;
            let mut args: Vec<String> = vec!["-sSf".into(), "-o".into(), "/dev/null".into()];
            for (k, v) in created["put_headers"].as_object().context("put_headers")? {
                args.push("-H".into());
                args.push(format!("{k}: {}", v.as_str().unwrap_or_default()));
            }
            args.extend([
                "-H".into(),
                "Content-Type: application/octet-stream".into(),
                "-T".into(),
                path_str(&copy)?.into(),
                put_url.into(),
            ]);
            curl(&args.iter().map(String::as_str).collect::<Vec<_>>()).await?;
            curl_times.push(started.elapsed().as_secs_f64());
            let state = firm_state(&stack, &seeded.firm_uuid).await?;
            check_landed(&state, &format!("curl copy {size} run {run}"), size, &sha)?;
            path_times.push(figures["elapsed_s"].as_f64().unwrap_or(f64::NAN));
            rss_kib = rss_kib.max(figures["vmhwm_kib"].as_f64().unwrap_or(0.0));
            let _ = std::fs::remove_file(&copy);
        }
        let row = Row {
            size,
            path_rss_mib: rss_kib / 1024.0,
            path_s: median(&mut path_times),
            curl_s: median(&mut curl_times),
        };
        print_row(&row);
        rows.push(row);
        let _ = std::fs::remove_file(&file);
        // moto keeps every object; drop it so the next size does not sit on top of it.
        let _ = stack
            .aws
            .s3
            .delete_object()
            .bucket(&stack.documents_bucket)
            .key(&key)
            .send()
            .await;
    }
    print_table(&rows);
    drop(stack);
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

/// Writes `size` pseudo-random bytes (1 MiB at a time) and returns their sha256 (hex).
fn write_file(path: &Path, size: u64, seed: u64) -> anyhow::Result<String> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut hasher = sha2::Sha256::new();
    let block = hona_e2e::hona::file_bytes(1 << 20, seed);
    let mut left = size;
    let mut n: u64 = 0;
    while left > 0 {
        let take = left.min(block.len() as u64) as usize;
        // Vary each block so no two MiB of the file are the same.
        let mut chunk = block[..take].to_vec();
        chunk[..8.min(take)].copy_from_slice(&n.to_le_bytes()[..8.min(take)]);
        hasher.update(&chunk);
        out.write_all(&chunk)?;
        left -= take as u64;
        n += 1;
    }
    out.flush()?;
    Ok(hex::encode(hasher.finalize()))
}

fn path_str(p: &Path) -> anyhow::Result<&str> {
    p.to_str().context("non-UTF-8 path")
}

async fn curl(args: &[&str]) -> anyhow::Result<()> {
    let status = tokio::process::Command::new("curl")
        .args(args)
        .status()
        .await
        .context("running curl")?;
    anyhow::ensure!(status.success(), "curl failed ({status})");
    Ok(())
}

/// The document whose description contains `marker` has one upload of `size` bytes
/// with digest `sha`.
fn check_landed(state: &FirmState, marker: &str, size: u64, sha: &str) -> anyhow::Result<()> {
    let doc = state
        .documents
        .iter()
        .find(|d| d.description.as_deref().is_some_and(|t| t.contains(marker)))
        .with_context(|| format!("no document for {marker}"))?;
    let uploaded = doc
        .uploaded_versions()
        .next()
        .with_context(|| format!("{marker}: no uploaded version"))?;
    anyhow::ensure!(
        uploaded.size_bytes == Some(size) && uploaded.sha256.as_deref() == Some(sha),
        "{marker}: wrong bytes landed ({uploaded:?})"
    );
    Ok(())
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn mib_s(size: u64, secs: f64) -> f64 {
    size as f64 / (1 << 20) as f64 / secs
}

fn print_row(r: &Row) {
    println!(
        "  {:>6} MiB: upload path {:.1} MiB peak RSS, {:.2} s ({:.1} MiB/s); curl copy {:.2} s ({:.1} MiB/s)",
        r.size >> 20,
        r.path_rss_mib,
        r.path_s,
        mib_s(r.size, r.path_s),
        r.curl_s,
        mib_s(r.size, r.curl_s)
    );
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "| file | upload path peak RSS | upload path (median) | curl download-then-upload (median) | ratio |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} MiB | {:.1} MiB | {:.2} s · {:.1} MiB/s | {:.2} s · {:.1} MiB/s | {:.2} |",
            r.size >> 20,
            r.path_rss_mib,
            r.path_s,
            mib_s(r.size, r.path_s),
            r.curl_s,
            mib_s(r.size, r.curl_s),
            r.curl_s / r.path_s
        );
    }
    let max_rss = rows.iter().map(|r| r.path_rss_mib).fold(0.0, f64::max);
    let min_rss = rows.iter().map(|r| r.path_rss_mib).fold(f64::MAX, f64::min);
    let min_ratio = rows
        .iter()
        .map(|r| r.curl_s / r.path_s)
        .fold(f64::MAX, f64::min);
    println!();
    println!(
        "peak RSS {:.1}–{:.1} MiB (target ≤ {TARGET_RSS_MIB} MiB, flat): {}",
        min_rss,
        max_rss,
        if max_rss <= TARGET_RSS_MIB {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "throughput vs plain copy, lowest {:.2} (target ≥ {TARGET_RATIO}): {}",
        min_ratio,
        if min_ratio >= TARGET_RATIO {
            "met"
        } else {
            "NOT met"
        }
    );
}
