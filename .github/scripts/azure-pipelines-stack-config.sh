#!/usr/bin/env bash
# What only azure-pipelines.yml needs around the stack config: GitHub's checkout action takes the
# commit to check out (`ref:`), Azure's `checkout: self` does not. The record and the rollback are
# the shared commit-stack-config.sh and rollback.sh.
#
#   checkout <commit>   detaches the checkout at <commit> (the one deploy recorded), after fetching
#                       the branch it is on, with the checkout's persisted credentials
#                       (`persistCredentials: true`)
#
# env: BUILD_SOURCEBRANCH (the branch, refs/heads/…), STACK_CONFIG (default Pulumi.prod.yaml).
set -euo pipefail

file=${STACK_CONFIG:-Pulumi.prod.yaml}
branch=${BUILD_SOURCEBRANCH:?BUILD_SOURCEBRANCH names the branch (refs/heads/…)}
usage='usage: azure-pipelines-stack-config.sh checkout <commit>'

[ "${1:-}" = checkout ] || { echo "$usage" >&2; exit 2; }
commit=${2:?$usage}
git fetch --quiet origin "$branch"
git checkout --quiet --detach "$commit"
echo "checked out $commit: $file as recorded on $branch"
