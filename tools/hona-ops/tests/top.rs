//! `hona-ops top` over a committed sample of function output: embedded-metric lines as the
//! functions print them, between log lines and the harness's own lines.

use hona_ops::top::{Top, function_logs, parse_line, percentile};
use std::path::PathBuf;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/function-output.txt")
}

#[test]
fn sums_the_metrics_per_push_type_and_function_and_skips_other_lines() {
    let top = Top::read(&[fixture()], None).unwrap();
    assert_eq!(top.lines, 12, "every embedded-metric line, and only those");

    let messages = &top.push_types["messages"];
    assert_eq!(
        (
            messages.landed,
            messages.skipped,
            messages.failed,
            messages.retried
        ),
        (5, 0, 1, 2)
    );
    assert_eq!(messages.time_to_land, vec![1.0, 2.0, 3.0, 40.0, 5.0]);
    let notifications = &top.push_types["notifications"];
    assert_eq!((notifications.landed, notifications.skipped), (1, 1));
    assert_eq!(top.push_types["documents"].landed, 2);
    assert_eq!(
        top.failures[&("messages".to_owned(), "invalid_json".to_owned())],
        1
    );

    let log_messages = &top.functions["log-messages"];
    assert_eq!(
        (
            log_messages.requests,
            log_messages.throttled,
            log_messages.permits_waited,
            log_messages.permit_wait_ms,
            log_messages.cold_starts
        ),
        (12, 1, 4, 1200, 1)
    );
    assert_eq!(top.functions["log-documents"].requests, 4);
    assert_eq!(top.upload_bytes, 3 * 1024 * 1024);
    assert_eq!(top.upload_seconds, vec![0.5, 1.5]);
    let (first, last) = top.span_ms.unwrap();
    assert_eq!(last - first, 90_000);
}

#[test]
fn renders_one_row_per_push_type_with_time_to_land_percentiles() {
    let view = Top::read(&[fixture()], None).unwrap().render();
    let row = |name: &str| {
        view.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} row in\n{view}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    // landed skipped failed retried, then p50 / p95 of 1, 2, 3, 5, 40 s.
    assert_eq!(row("messages"), "messages 5 0 1 2 3.0 s / 40.0 s");
    assert_eq!(
        row("notifications"),
        "notifications 1 1 0 0 500 ms / 500 ms"
    );
    assert_eq!(row("log-messages"), "log-messages 12 1 4 300 ms 1");
    assert!(
        view.contains("failed, by reason: messages/invalid_json 1"),
        "{view}"
    );
    // 18 requests over the 90 s the lines span.
    assert!(
        view.contains("MyCase budget: 18 requests in 90 s = 0.20/s"),
        "{view}"
    );
    assert!(view.contains("documents uploaded: 2, 3.0 MB"), "{view}");
}

#[test]
fn a_time_window_keeps_only_recent_lines() {
    let text = std::fs::read_to_string(fixture()).unwrap();
    let first = text.lines().find_map(parse_line).unwrap().timestamp_ms;
    let mut top = Top::default();
    top.add_output(&text, Some(first + 60_000));
    assert_eq!(top.push_types["messages"].landed, 1);
    assert!(!top.push_types.contains_key("notifications"));
}

#[test]
fn a_folder_of_logs_reads_the_functions_not_the_emulators_or_motos() {
    let dir = std::env::temp_dir().join(format!("hona-ops-top-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in [
        "log-messages-4001.log",
        "log-messages-4001.emulator.log",
        "moto-4000.log",
        "notes.txt",
    ] {
        std::fs::write(dir.join(name), "").unwrap();
    }
    let files = function_logs(std::slice::from_ref(&dir)).unwrap();
    assert_eq!(files, vec![dir.join("log-messages-4001.log")]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn nearest_rank_percentiles() {
    let values = [5.0, 1.0, 4.0, 2.0, 3.0];
    assert_eq!(percentile(&values, 50.0), 3.0);
    assert_eq!(percentile(&values, 95.0), 5.0);
    assert_eq!(percentile(&values, 0.0), 1.0);
    assert_eq!(percentile(&[], 95.0), 0.0);
}
