#!/usr/bin/env bash
# The benchmark (see tests/src/bin/bench.rs): one log-messages instance's throughput and CPU
# per event against the MyCase sandbox with its rate limit off, its request rate against
# the sandbox's 25 req/s limit under a backlog, and (Part N) one nightly sync over 1,000
# integrations inside the shared rate budget.
#
#   scripts/bench.sh [--quick] [--events N] [--moto-events N] [--backlog N] [--rate R] [--no-moto]
#                    [--integrations N] [--part A|B|N]
#   scripts/bench.sh documents [--sizes 10M,100M,1G]
#   scripts/bench.sh requests [--leads 60] [--integrations 10]
#   scripts/bench.sh history [--sizes 1000,10000,100000] [--runs 3]
#   scripts/bench.sh coldstart [--function log-messages] [--runs 20]
#
# `documents` runs the documents benchmark instead (tests/src/bin/bench-documents.rs): peak
# RSS and throughput of log-documents' upload path (moto S3 → sandbox) per file size, next to
# a plain curl download-then-upload of the same file.
#
# `requests` runs tests/src/bin/bench-requests.rs: MyCase requests per landed event for each
# push type (and the nightly per integration) from the sandbox's counts, against the
# targets, and how long 60 leads take to drain at the leads queue's share of the budget.
# `history` runs the history benchmark (tests/src/bin/bench-history.rs): per ledger size for
# one integration, the status call's latency, DynamoDB requests and items read, and the
# nightly's items read, against moto.
#
# `coldstart` builds a function's release bootstrap as `sam build` does (cargo-lambda, the
# release profile, x86_64 so it runs here) and times its cold start: process start to the
# first poll of the runtime API, against a stand-in runtime API (scripts/coldstart.py).
#
# Builds the bench binary and the sandbox binary in the bench-release profile (release
# settings in its own profile dir, so [profile.release] stays untouched), then runs the bench
# with the arguments given. The sandbox runs as a separate process, found next to the bench
# binary ($CARGO_TARGET_DIR/bench-release/ if CARGO_TARGET_DIR is set).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# moto, for the reference row through the real AWS adapters.
"$ROOT/scripts/bootstrap.sh"
export PATH="$ROOT/.venv/bin:$PATH"

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET_DIR" in
  /*) ;;
  *) TARGET_DIR="$ROOT/$TARGET_DIR" ;;
esac

if [[ "${1:-}" == "coldstart" ]]; then
  shift
  FUNCTION=log-messages
  if [[ "${1:-}" == "--function" ]]; then FUNCTION="$2"; shift 2; fi
  echo "bench.sh: cargo lambda build --release --x86-64 -p $FUNCTION"
  cargo lambda build --release --x86-64 -p "$FUNCTION"
  exec python3 "$ROOT/scripts/coldstart.py" --function "$FUNCTION" \
    --bootstrap "$TARGET_DIR/lambda/$FUNCTION/bootstrap" "$@"
fi

if [[ "${1:-}" == "requests" ]]; then
  # Counts, not timings: what each push asks of MyCase does not depend on the build's
  # optimisation, so the debug build (already there for the tests) measures the same.
  shift
  echo "bench.sh: cargo build -p hona-e2e --bin bench-requests -p mycase-sandbox --bin mycase-sandbox"
  cargo build -p hona-e2e --bin bench-requests -p mycase-sandbox --bin mycase-sandbox
  echo "bench.sh: $TARGET_DIR/debug/bench-requests $*"
  echo
  exec "$TARGET_DIR/debug/bench-requests" --sandbox-bin "$TARGET_DIR/debug/mycase-sandbox" "$@"
fi

if [[ "${1:-}" == "history" ]]; then
  shift
  echo "bench.sh: cargo build --profile bench-release -p hona-e2e --bin bench-history"
  cargo build --profile bench-release -p hona-e2e --bin bench-history
  echo "bench.sh: $TARGET_DIR/bench-release/bench-history $*"
  echo
  exec "$TARGET_DIR/bench-release/bench-history" "$@"
fi

if [[ "${1:-}" == "documents" ]]; then
  shift
  echo "bench.sh: cargo build --profile bench-release -p hona-e2e --bin bench-documents"
  cargo build --profile bench-release -p hona-e2e --bin bench-documents
  echo "bench.sh: $TARGET_DIR/bench-release/bench-documents $*"
  echo
  exec "$TARGET_DIR/bench-release/bench-documents" "$@"
fi

echo "bench.sh: cargo build --profile bench-release -p hona-e2e --bin bench -p mycase-sandbox --bin mycase-sandbox"
cargo build --profile bench-release -p hona-e2e --bin bench -p mycase-sandbox --bin mycase-sandbox

BENCH="$TARGET_DIR/bench-release/bench"

echo "bench.sh: $BENCH $*"
echo
exec "$BENCH" --sandbox-bin "$TARGET_DIR/bench-release/mycase-sandbox" "$@"
