#!/usr/bin/env bash
# Records the stack config file a release changed ($STACK_CONFIG, default Pulumi.prod.yaml) on the
# branch the pipeline runs on, so the next `pulumi up` starts from what was released instead of
# reverting it. Run before `pulumi up`: when this fails, nothing has been deployed yet. Shared by
# the GitHub workflows and azure-pipelines.yml.
#
# Stack-config commits never interleave: the branch must still point at the commit this job
# checked out (a fast-forward check), else another run or person moved it, and this job stops
# instead of deploying a config that is not the branch's. That check runs even when there is
# nothing to commit, so a job never applies a stale stack file.
#
# The branch: GITHUB_REF_NAME (GitHub Actions), else BUILD_SOURCEBRANCH without its refs/heads/
# (Azure Pipelines). Credentials: with GITHUB_TOKEN set, it is passed for this fetch and push only
# (the GitHub checkout keeps none, persist-credentials: false); on a protected branch it must be a
# bypass actor's: the workflows pass the pipeline's GitHub App token when the repository
# configures one, else the job's GITHUB_TOKEN (.github/README.md, bootstrap step 6). Without it,
# git uses the checkout's own (Azure Pipelines: `persistCredentials: true`).
#
# Outputs `base` (the commit checked out) and `sha` (the commit that holds the config to deploy):
# to $GITHUB_OUTPUT when set, and as the step's output variables when TF_BUILD is set (Azure
# Pipelines, "Logging commands": task.setvariable with isOutput=true).
#
# The commit message ends in [skip ci], which both CIs honour: a push with an app's token starts
# the workflows that run on push, unlike one with GITHUB_TOKEN (docs.github.com, "Triggering a
# workflow from a workflow"), and a release commit must not start the pipeline that made it
# (docs.github.com, "Skipping workflow runs"; learn.microsoft.com, Azure Pipelines "Skipping CI
# for individual commits").
#
# usage: [GITHUB_TOKEN=…] commit-stack-config.sh "commit message"
set -euo pipefail

message=${1:?usage: commit-stack-config.sh "commit message"}
file=${STACK_CONFIG:-Pulumi.prod.yaml}
if [ -n "${GITHUB_REF_NAME:-}" ]; then
  branch=$GITHUB_REF_NAME
elif [[ ${BUILD_SOURCEBRANCH:-} == refs/heads/?* ]]; then
  branch=${BUILD_SOURCEBRANCH#refs/heads/}
else
  echo "GITHUB_REF_NAME or BUILD_SOURCEBRANCH (refs/heads/…) names the branch to push to; BUILD_SOURCEBRANCH is '${BUILD_SOURCEBRANCH:-}'" >&2
  exit 2
fi
git_auth() {
  if [ -n "${GITHUB_TOKEN:-}" ]; then
    local auth
    auth=$(printf 'x-access-token:%s' "$GITHUB_TOKEN" | base64 --wrap=0)
    git -c http.extraheader="AUTHORIZATION: basic $auth" "$@"
  else
    git "$@"
  fi
}

base=$(git rev-parse HEAD)
git_auth fetch --quiet origin "refs/heads/$branch"
tip=$(git rev-parse FETCH_HEAD)
if [ "$tip" != "$base" ]; then
  echo "$branch moved from $base to $tip after this job checked out: nothing recorded, nothing deployed (the run that moved it deploys its own config)" >&2
  exit 1
fi

if git diff --quiet -- "$file"; then
  echo "$file unchanged: nothing to record"
  sha=$base
else
  git -c user.name="mlops-pipeline" -c user.email="mlops-pipeline@users.noreply.github.com" \
    commit --quiet --message "$message [skip ci]" -- "$file"
  # A plain push: the server refuses it if the branch moved since the check above.
  git_auth push --quiet origin "HEAD:refs/heads/$branch"
  sha=$(git rev-parse HEAD)
  echo "recorded $file on $branch: $sha"
fi

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  { echo "base=$base"; echo "sha=$sha"; } >> "$GITHUB_OUTPUT"
fi
if [ -n "${TF_BUILD:-}" ]; then
  echo "##vso[task.setvariable variable=base;isOutput=true]$base"
  echo "##vso[task.setvariable variable=sha;isOutput=true]$sha"
fi
