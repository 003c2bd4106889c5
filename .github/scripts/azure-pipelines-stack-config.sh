#!/usr/bin/env bash
# The stack-config record of a release in Azure Pipelines (azure-pipelines.yml): what
# commit-stack-config.sh and rollback.sh do in GitHub Actions, with git authenticated by the
# checkout's persisted job token (`checkout: self` with `persistCredentials: true`) and every
# commit marked ***NO_CI***, so that the push does not start the pipeline again.
#
#   checkout <commit>   detaches the checkout at <commit> (the one deploy recorded), after fetching
#                       the branch it is on
#   record "<message>"  commits $STACK_CONFIG when it changed and pushes it, fast-forward only: the
#                       branch must still be at the commit checked out, or nothing is recorded (and
#                       so nothing deployed). Sets the step's output variables `base` (the commit
#                       checked out) and `sha` (the commit holding the config to deploy).
#   rollback --to <commit> --url <api base url> [-- <extra `mlops smoke` flags>]
#                       after a failed smoke test: restores $STACK_CONFIG as of <commit>, records
#                       it, applies it with `pulumi up`, smoke-tests again; always exits non-zero
#
# env: BUILD_SOURCEBRANCH (the branch, refs/heads/…), STACK_CONFIG (default Pulumi.prod.yaml),
#      STACK (default prod). Runs from the checkout of the Pulumi project; rollback needs `pulumi`
#      on PATH and this repository's `mlops` CLI (pnpm).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
file=${STACK_CONFIG:-Pulumi.prod.yaml}
stack=${STACK:-prod}
branch=${BUILD_SOURCEBRANCH:?BUILD_SOURCEBRANCH names the branch (refs/heads/…)}
usage='usage: azure-pipelines-stack-config.sh checkout <commit> | record "<message>" | rollback --to <commit> --url <url> [-- smoke flags]'

checkout() {
  local commit=${1:?$usage}
  git fetch --quiet origin "$branch"
  git checkout --quiet --detach "$commit"
  echo "checked out $commit: $file as recorded on $branch"
}

record() {
  local message=${1:?$usage} base tip sha
  base=$(git rev-parse HEAD)
  git fetch --quiet origin "$branch"
  tip=$(git rev-parse FETCH_HEAD)
  if [ "$tip" != "$base" ]; then
    echo "$branch moved from $base to $tip after this job checked out: nothing recorded, nothing deployed (the run that moved it deploys its own config)" >&2
    exit 1
  fi
  if git diff --quiet -- "$file"; then
    echo "$file unchanged: nothing to record"
    sha=$base
  else
    git -c user.name="mlops-pipeline" -c user.email="mlops-pipeline@invalid" \
      commit --quiet --message "$message ***NO_CI***" -- "$file"
    # A plain push: the server refuses it if the branch moved since the check above.
    git push --quiet origin "HEAD:$branch"
    sha=$(git rev-parse HEAD)
    echo "recorded $file on $branch: $sha"
  fi
  echo "##vso[task.setvariable variable=base;isOutput=true]$base"
  echo "##vso[task.setvariable variable=sha;isOutput=true]$sha"
}

rollback() {
  local to="" url="" released
  while [ $# -gt 0 ]; do
    case $1 in
      --to) to=${2:?--to needs a commit}; shift 2 ;;
      --url) url=${2:?--url needs the API base URL}; shift 2 ;;
      --) shift; break ;;
      *) echo "azure-pipelines-stack-config.sh rollback: unknown argument $1" >&2; exit 2 ;;
    esac
  done
  if [ -z "$to" ] || [ -z "$url" ]; then echo "$usage" >&2; exit 2; fi

  released=$(git rev-parse --short HEAD)
  git show "$to:$file" > "$file"
  if git diff --quiet -- "$file"; then
    echo "rollback: $file is the same in $released and $(git rev-parse --short "$to"): the failure is not a config change, nothing to roll back" >&2
    exit 1
  fi
  echo "rollback of stack $stack: the smoke test failed after $released; restoring $file of $(git rev-parse --short "$to"):"
  git diff --no-color --unified=0 -- "$file" | { grep -E '^[-+][^-+]' || true; }
  record "rollback: restore $file of $(git rev-parse --short "$to") (smoke failed on $released)"
  if ! pulumi up --stack "$stack" --yes --diff --non-interactive; then
    echo "rollback: pulumi up of the restored config failed: the stack is in neither state" >&2
    exit 1
  fi
  if pnpm --dir "$repo" --silent mlops smoke --url "$url" "$@"; then
    echo "rollback: second smoke test passed; the release is rolled back and the run fails"
  else
    echo "rollback: second smoke test failed too: the previous config does not recover the API" >&2
  fi
  exit 1
}

command=${1:-}
[ $# -gt 0 ] && shift
case $command in
  checkout) checkout "$@" ;;
  record) record "$@" ;;
  rollback) rollback "$@" ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
