#!/usr/bin/env bash
# Commits the stack config file a release changed ($STACK_CONFIG, default Pulumi.prod.yaml) and
# pushes it to the branch the workflow runs on, so the next `pulumi up` starts from what was
# released instead of reverting it. Run before `pulumi up`: when the push is refused (the branch
# moved), nothing has been deployed yet.
#
# The checkout keeps no credentials (persist-credentials: false); the token is passed for this one
# push only. Nothing to commit (a `continue` decision) is not an error.
#
# usage: GITHUB_TOKEN=… commit-stack-config.sh "commit message"
set -euo pipefail

message=${1:?usage: commit-stack-config.sh "commit message"}
file=${STACK_CONFIG:-Pulumi.prod.yaml}
branch=${GITHUB_REF_NAME:?GITHUB_REF_NAME names the branch to push to}

if git diff --quiet -- "$file"; then
  echo "$file unchanged: nothing to record"
  exit 0
fi

git -c user.name="mlops-pipeline" -c user.email="mlops-pipeline@users.noreply.github.com" \
  commit --quiet --message "$message" -- "$file"
auth=$(printf 'x-access-token:%s' "${GITHUB_TOKEN:?GITHUB_TOKEN is needed to push}" | base64 --wrap=0)
git -c http.extraheader="AUTHORIZATION: basic $auth" push origin "HEAD:refs/heads/$branch"
echo "recorded $file on $branch: $(git rev-parse --short HEAD)"
