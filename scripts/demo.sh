#!/usr/bin/env bash
# The demo behind `make demo`: on the embedded PostgreSQL, with no AI CLI installed, run the
# code-change example with scripted lanes (the first review asks for a revision, the second
# accepts) in a scratch repository, show the dashboard, and verify both hash chains.
#
# PROFILE=claude_code|codex|gemini make demo runs the author's jobs with that agent CLI (it must
# be on PATH); the reviewer stays scripted, so the review is still cross-provider.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
S="$ROOT/.venv/bin/striatum"
DEMO="${DEMO_DIR:-$ROOT/.demo}"
REPO="$DEMO/repo"
WORKFLOW="$ROOT/examples/code-change-flow/workflow.json"

rm -rf "$REPO" "$DEMO/flow" "$DEMO/agents"
mkdir -p "$REPO"
git -C "$REPO" init -q
git -C "$REPO" -c user.name=demo -c user.email=demo@localhost commit -q --allow-empty -m "demo: start"
if [ -n "${PROFILE:-}" ]; then
  executable=$([ "$PROFILE" = claude_code ] && echo claude || echo "$PROFILE")
  command -v "$executable" >/dev/null || { echo "demo: $executable is not on PATH" >&2; exit 2; }
  cp -r "$ROOT/examples/code-change-flow" "$DEMO/flow"
  cp -r "$ROOT/examples/agents" "$DEMO/agents"
  python3 - "$DEMO/flow/workflow.json" "$PROFILE" <<'PY'
import json, sys
path, profile = sys.argv[1], sys.argv[2]
workflow = json.load(open(path))
workflow["lanes"]["author"] = {"provider": profile, "timeout_s": 1800}
json.dump(workflow, open(path, "w"), indent=2)
PY
  WORKFLOW="$DEMO/flow/workflow.json"
fi

echo "== substrate: embedded PostgreSQL, migrations, both chains"
"$S" daemon doctor --apply-migrations
"$S" daemon start
# Whatever happens next, the demo does not leave its daemon running.
trap '"$S" daemon stop >/dev/null 2>&1 || true' EXIT
cd "$REPO"
"$S" adopt
RUN=$("$S" run prepare --workflow "$WORKFLOW" --json \
      | python3 -c 'import json, sys; print(json.load(sys.stdin)["run_id"])')
"$S" run start --run-id "$RUN" --no-supervise
echo "== supervising $RUN: agents in the run's worktree, one revision loop"
"$S" supervise --run-id "$RUN" --until-blocked
"$S" dashboard --run-id "$RUN" --once
"$S" list verdicts --run-id "$RUN"
echo "== artifacts are in the repository, every attempt kept:"
find docs -type f | sort
echo "== the run's branch striatum/$RUN (agents worked in a worktree under the Striatum home):"
git log --format='%h %s' "striatum/$RUN"
echo "== doctor: both chains verify"
"$S" daemon doctor
