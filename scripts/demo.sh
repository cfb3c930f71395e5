#!/usr/bin/env bash
# Starts the local stack (moto + MyCase sandbox + the functions under cargo-lambda) and runs
# the demo: scripts/demo.sh [demo args...]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/bootstrap.sh"
export PATH="$ROOT/.venv/bin:$PATH"

echo "demo.sh: cargo build --workspace --bins"
cargo build --workspace --bins

exec cargo run -q -p hona-e2e --bin demo -- "$@"
