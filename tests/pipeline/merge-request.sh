#!/usr/bin/env bash
# The merge request pipeline, for real: in a throwaway clone, a branch that drops a stream from
# EventLogging must fail the `diff` job, and pass once STREAMCONF_ALLOW_BREAKING is "true"; a
# branch that writes a plain `enwiki:` where `+enwiki:` was meant must fail the `validate` job.
# Run by `make pipeline-scenarios`, with GITLAB_CI_LOCAL naming the gitlab-ci-local program.
set -euo pipefail
project=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone --quiet "$project" "$work/repo"
cd "$work/repo"
git config user.email ci@example.org
git config user.name "Pipeline scenario"
git checkout --quiet -b drop-a-stream
sed -i '/^- mediawiki.searchpreview$/d' eventlogging.yaml
git commit --quiet -am "Stop embedding mediawiki.searchpreview"

run_diff() {
  "$GITLAB_CI_LOCAL" --force-shell-executor --shell-isolation --no-artifacts-to-source \
    --variable CI_PIPELINE_SOURCE=merge_request_event --variable CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main "$@" diff
}

if run_diff > "$work/breaking.log" 2>&1; then
  cat "$work/breaking.log"; echo "FAIL: the diff job passed a breaking change"; exit 1
fi
grep -q "dropped from EventLogging" "$work/breaking.log" || { cat "$work/breaking.log"; echo "FAIL: no breaking change reported"; exit 1; }
run_diff --variable STREAMCONF_ALLOW_BREAKING=true > "$work/allowed.log" 2>&1 || { cat "$work/allowed.log"; echo "FAIL: allowed breaking change failed"; exit 1; }
grep -q "| production | \`mediawiki.searchpreview (EventLogging)\` | dropped from EventLogging |" "$work/allowed.log" \
  || { cat "$work/allowed.log"; echo "FAIL: the markdown report lacks the change"; exit 1; }

git checkout --quiet -b plain-wiki-key main
sed -i 's/^+enwiki:/enwiki:/' overrides/production/wikipedias.yaml
git commit --quiet -am "Override enwiki"
if "$GITLAB_CI_LOCAL" --force-shell-executor --shell-isolation --no-artifacts-to-source validate > "$work/plain.log" 2>&1; then
  cat "$work/plain.log"; echo "FAIL: the validate job passed a plain key that wipes enwiki"; exit 1
fi
grep -q "SL401" "$work/plain.log" || { cat "$work/plain.log"; echo "FAIL: no SL401 finding"; exit 1; }
echo "scenarios: 3 passed, 0 failed"
