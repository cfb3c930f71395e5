#!/usr/bin/env bash
# Runs the whole test suite against the local stack (moto + MyCase sandbox + cargo-lambda).
#   scripts/test.sh                 # everything
#   scripts/test.sh -p hona-e2e     # extra args go to `cargo nextest run` / `cargo test`
# Exits non-zero when anything fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/bootstrap.sh" --sam
export PATH="$ROOT/.venv/bin:$PATH"

# The docs' links (README.md, docs/*.md) resolve, and every docs/ page is linked from the
# README. Seconds, and the standard library only: first, so a broken link fails fast.
echo "test.sh: scripts/check-links.py"
python3 "$ROOT/scripts/check-links.py" --self-test
python3 "$ROOT/scripts/check-links.py"

# The SAM template must lint clean (cfn-lint comes with moto[server]) and pass SAM's own
# validation (offline; SAM_CLI_TELEMETRY=0 keeps it from phoning home).
echo "test.sh: cfn-lint infra/template.yaml"
cfn-lint infra/template.yaml
echo "test.sh: sam validate --lint"
SAM_CLI_TELEMETRY=0 "$ROOT/.venv-sam/bin/sam" validate --lint --template infra/template.yaml

# SAM's own build path, for one function: cargo-lambda, zig, the release profile (size-tuned,
# panic=abort), the template's BuildMethod/Binary wiring, cross-built for the template's
# default architecture (arm64; ~3.5 min cold here). (All nine functions take far longer,
# too long for CI; the template test checks every function's wiring, and the debug build
# below compiles every binary.) HONA_SAM_BUILD=0 skips it.
if [[ "${HONA_SAM_BUILD:-1}" != 0 ]]; then
  # arm64 needs Rust's aarch64 standard library (bootstrap.sh adds it where rustup can);
  # without it, build the template's other architecture rather than fail the whole run.
  SAM_ARCH=arm64 ELF_MACHINE=183 # e_machine: 183 = aarch64, 62 = x86_64
  if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
    echo "test.sh: WARNING: no aarch64 Rust target here; sam build checks x86_64 instead"
    SAM_ARCH=x86_64 ELF_MACHINE=62
  fi
  echo "test.sh: sam build LogMessagesFunction (release, $SAM_ARCH; the template's default is arm64)"
  # sam by its path, not .venv-sam on PATH: cargo-lambda finds zig through `python3`,
  # which must stay .venv's (where ziglang is).
  SAM_CLI_TELEMETRY=0 "$ROOT/.venv-sam/bin/sam" build LogMessagesFunction \
    --template infra/template.yaml --build-dir target/sam-build \
    --parameter-overrides "Architecture=$SAM_ARCH"
  test -x target/sam-build/LogMessagesFunction/bootstrap
  # The bootstrap is the architecture asked for (the ELF header's e_machine, read with
  # Python: no `file` needed).
  python3 -c 'import sys; d = open(sys.argv[1], "rb").read(20); sys.exit(int.from_bytes(d[18:20], "little") != int(sys.argv[2]))' \
    target/sam-build/LogMessagesFunction/bootstrap "$ELF_MACHINE" \
    || { echo "test.sh: the sam-built bootstrap is not $SAM_ARCH"; exit 1; }
fi

# The end-to-end tests run the function binaries (target/debug/<function>) under the
# emulator: build them first. Same command the harness uses before it starts a function, so
# nothing is rebuilt when the tests start.
echo "test.sh: cargo build --workspace --bins"
cargo build --workspace --bins

if cargo nextest --version >/dev/null 2>&1; then
  echo "test.sh: cargo nextest run --workspace $*"
  # nextest prints its own summary line ("Summary [...] N tests run: N passed, ...").
  exec cargo nextest run --workspace "$@"
else
  echo "test.sh: cargo-nextest not found; cargo test --workspace $*"
  exec cargo test --workspace "$@"
fi
