#!/usr/bin/env bash
# The demo behind `make demo`: on the embedded PostgreSQL, with no AI CLI installed, run the
# code-change example with scripted lanes (the first review asks for a revision, the second
# accepts) in a scratch repository, show the dashboard, and verify both hash chains.
set -euo pipefail
cd "$(dirname "$0")/.."
S="$PWD/.venv/bin/striatum"
REPO="$PWD/.demo/repo"

rm -rf "$REPO"
mkdir -p "$REPO"
git -C "$REPO" init -q
echo "== substrate: embedded PostgreSQL, migrations, both chains"
"$S" daemon doctor --apply-migrations
"$S" daemon start
cd "$REPO"
"$S" adopt
RUN=$("$S" run prepare --workflow "$OLDPWD/examples/code-change-flow/workflow.json" --json \
      | python3 -c 'import json, sys; print(json.load(sys.stdin)["run_id"])')
"$S" run start --run-id "$RUN" --no-supervise
echo "== supervising $RUN: scripted agents, one revision loop"
"$S" supervise --run-id "$RUN"
"$S" dashboard --run-id "$RUN" --once
"$S" list verdicts --run-id "$RUN"
echo "== artifacts are in the repository, every attempt kept:"
find docs -type f | sort
echo "== doctor: both chains verify"
"$S" daemon doctor
"$S" daemon stop
