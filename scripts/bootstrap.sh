#!/usr/bin/env bash
# Creates (or repairs) the repo's Python venv with the local-stack tools, pinned:
#   moto[server]  - the AWS emulator (DynamoDB, SQS, Secrets Manager, S3) the tests run against
#   cargo-lambda  - the Lambda runtime emulator (`cargo lambda watch`); pulls in ziglang
# pip runs with --no-cache-dir: a second copy of every wheel in ~/.cache is disk a CI machine
# may not have (a run once failed with "No space left on device" in this very step).
# With --sam it also keeps a second venv, .venv-sam, with the AWS SAM CLI (pinned) for
# `sam validate --lint` (kept apart: SAM and moto pin different boto3 versions).
# Idempotent: a no-op (well under a second) when the venvs already have these versions.
# Exports nothing: callers put "$ROOT/.venv/bin" on PATH themselves.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

WITH_SAM=0
[[ "${1:-}" == "--sam" ]] && WITH_SAM=1

MOTO_VERSION="5.2.5"
SAM_CLI_VERSION="1.170.0"
CARGO_LAMBDA_VERSION="1.9.2"

log() { echo "bootstrap: $*"; }

# The venvs take ~0.5 GB and a full test run's target/ several GB more; say how much room
# there is, so a "No space left on device" further on reads as the machine's, not the code's.
log "free disk under $ROOT: $(df -h --output=avail "$ROOT" 2>/dev/null | tail -1 | tr -d ' ')"

if [[ ! -x "$VENV/bin/python" ]]; then
  PY="${PYTHON:-}"
  if [[ -z "$PY" ]]; then
    for cand in python3.11 python3; do
      if command -v "$cand" >/dev/null 2>&1; then PY="$cand"; break; fi
    done
  fi
  [[ -n "$PY" ]] || { log "no python3 found (need Python >= 3.9; set PYTHON=...)"; exit 1; }
  log "creating $VENV with $($PY --version 2>&1)"
  "$PY" -m venv "$VENV" || {
    log "'$PY -m venv' failed; on Debian install the venv module: apt-get install python3-venv"
    exit 1
  }
  "$VENV/bin/python" -m pip install --quiet --no-cache-dir --upgrade pip
fi

# Which of the pinned packages are missing or at another version? (One python start.)
NEEDED="$("$VENV/bin/python" - "$MOTO_VERSION" "$CARGO_LAMBDA_VERSION" <<'PY'
import sys
from importlib import metadata
moto_v, cl_v = sys.argv[1], sys.argv[2]
need = []
def version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
if version("moto") != moto_v:
    need.append(f"moto[server]=={moto_v}")
else:
    # moto without the [server] extra has no working moto_server: check the extra's deps.
    try:
        import flask, flask_cors  # noqa: F401
    except ImportError:
        need.append(f"moto[server]=={moto_v}")
if version("cargo-lambda") != cl_v:
    need.append(f"cargo-lambda=={cl_v}")
print(" ".join(need))
PY
)"

if [[ -z "$NEEDED" ]]; then
  log "ok: .venv has moto[server]==$MOTO_VERSION, cargo-lambda==$CARGO_LAMBDA_VERSION (nothing to do)"
else
  log "installing: $NEEDED"
  # shellcheck disable=SC2086
  "$VENV/bin/python" -m pip install --quiet --no-cache-dir --disable-pip-version-check $NEEDED
  log "installed: $NEEDED"
fi

for bin in moto_server cargo-lambda; do
  [[ -x "$VENV/bin/$bin" ]] || { log "missing $VENV/bin/$bin after install"; exit 1; }
done

if [[ "$WITH_SAM" == 1 ]]; then
  SAM_VENV="$ROOT/.venv-sam"
  if [[ "$("$SAM_VENV/bin/sam" --version 2>/dev/null)" != "SAM CLI, version $SAM_CLI_VERSION" ]]; then
    log "installing aws-sam-cli==$SAM_CLI_VERSION into $SAM_VENV"
    [[ -x "$SAM_VENV/bin/python" ]] || "$VENV/bin/python" -m venv "$SAM_VENV"
    "$SAM_VENV/bin/python" -m pip install --quiet --no-cache-dir --disable-pip-version-check "aws-sam-cli==$SAM_CLI_VERSION"
  fi
  [[ -x "$SAM_VENV/bin/sam" ]] || { log "missing $SAM_VENV/bin/sam after install"; exit 1; }
  log "ok: .venv-sam has aws-sam-cli==$SAM_CLI_VERSION"
  # `sam build` cross-builds the template's default architecture, arm64: Rust's standard
  # library for aarch64 Linux (zig, from .venv, links it). cargo-lambda would add it on its
  # own; done here so a missing toolchain shows as a bootstrap step, not a build failure.
  if command -v rustup >/dev/null 2>&1 \
    && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    log "rustup target add aarch64-unknown-linux-gnu"
    # rustup's own server is not a package registry: a machine that cannot reach it still
    # runs every test, and test.sh's sam build falls back to x86_64 (and says so).
    rustup target add aarch64-unknown-linux-gnu \
      || log "could not add the aarch64 target; sam build in test.sh will build x86_64"
  fi
fi
