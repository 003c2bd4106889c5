#!/usr/bin/env bash
# The automated rollback after a failed smoke test (deploy or promote): restores the stack config
# file as it was at <commit> (the commit the job started from: traffic and images as before the
# release), records it on the branch, applies it with `pulumi up`, smoke-tests again, and writes a
# summary of what was rolled back. Always exits non-zero: a rolled-back release is a failed run.
# Shared by the GitHub workflows and azure-pipelines.yml: the summary goes to the log, and to
# $GITHUB_STEP_SUMMARY when set.
#
# usage: rollback.sh --to <commit> --url <api base url> [-- <extra `mlops smoke` flags>]
# env:   STACK (default prod), STACK_CONFIG (default Pulumi.prod.yaml), the branch and credentials
#        of the record (GITHUB_REF_NAME or BUILD_SOURCEBRANCH, GITHUB_TOKEN: see
#        commit-stack-config.sh), GITHUB_STEP_SUMMARY (optional).
# Runs from the checkout of the Pulumi project; `pulumi` must be on PATH, and `mlops` is this
# repository's CLI (pnpm, from the repository that holds this script).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
stack=${STACK:-prod}
file=${STACK_CONFIG:-Pulumi.prod.yaml}
to="" url=""
while [ $# -gt 0 ]; do
  case $1 in
    --to) to=${2:?--to needs a commit}; shift 2 ;;
    --url) url=${2:?--url needs the API base URL}; shift 2 ;;
    --) shift; break ;;
    *) echo "rollback.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$to" ] || [ -z "$url" ]; then
  echo "usage: rollback.sh --to <commit> --url <url> [-- smoke flags]" >&2
  exit 2
fi

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
say() { printf '%s\n' "$*" | tee -a "$summary"; }
finish() {
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat "$summary" >> "$GITHUB_STEP_SUMMARY"; fi
  exit 1
}

released=$(git rev-parse HEAD)
say "### Rollback of stack $stack"
say ""
say "The smoke test failed after the release in $(git rev-parse --short "$released"); restoring $file as of $(git rev-parse --short "$to")."

git show "$to:$file" > "$file"
if git diff --quiet -- "$file"; then
  say ""
  say "$file is the same in both commits: the failure is not a config change, nothing to roll back."
  finish
fi
say ""
say "What was rolled back (released → restored):"
say '```diff'
git diff --no-color --unified=0 -- "$file" | { grep -E '^[-+][^-+]' || true; } | tee -a "$summary"
say '```'

"$here/commit-stack-config.sh" "rollback: restore $file of $(git rev-parse --short "$to") (smoke failed on $(git rev-parse --short "$released"))"
say ""
say "Recorded on the branch as $(git rev-parse --short HEAD)."

if ! pulumi up --stack "$stack" --yes --diff --non-interactive; then
  say ""
  say "**pulumi up of the restored config failed**: the stack is in neither state; see the log."
  finish
fi

smoke=$(mktemp)
if pnpm --dir "$repo" --silent mlops smoke --url "$url" "$@" > "$smoke" 2>&1; then
  say ""
  say "Second smoke test after the rollback: **passed**. The release is rolled back; the run fails."
else
  say ""
  say "Second smoke test after the rollback: **failed** too. The previous config does not recover the API: investigate now."
fi
say '```'
tee -a "$summary" < "$smoke"
say '```'
rm -f "$smoke"
finish
