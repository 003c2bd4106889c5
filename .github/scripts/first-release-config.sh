#!/usr/bin/env bash
# The stack config a release needs before `mlops release candidate` puts the new build behind
# the canary, when nothing the stack file names exists yet:
#
# - a first release (FIRST_RELEASE=true: training found no champion in the registry): the build
#   this run pushed becomes the champion's image and model too, so the first experiment compares
#   the model with itself, and the serving plane, left out of the estate's first `pulumi up`
#   (serving.enabled false, .github/README.md bootstrap step 2), is switched on;
# - a GARCH model fitted in this run (GARCH_VERSION, fit-garch-model.sh): the GARCH service runs
#   this build, which carries it.
#
# Written with `pulumi config set` as `mlops release … --apply` writes, and recorded on the branch
# with the candidate by commit-stack-config.sh. The registry's aliases move in later deploy steps:
# the GARCH alias before `pulumi up`, the classifier's champion after the smoke test.
#
# usage: first-release-config.sh
# env:   IMAGE_TAG (the pushed image's tag), MODEL_REF (name@version), FIRST_RELEASE (true|false),
#        GARCH_VERSION (empty: none fitted), STACK (default prod), STACK_CONFIG (default
#        Pulumi.prod.yaml). Needs `pulumi` on PATH, logged in to the stack's backend.
set -euo pipefail

stack=${STACK:-prod}
file=${STACK_CONFIG:-Pulumi.prod.yaml}
tag=${IMAGE_TAG:?IMAGE_TAG is the tag of the pushed image}
first=${FIRST_RELEASE:?FIRST_RELEASE is true or false}

# --path writes inside the project's object; --type keeps the value's YAML type (an all-digit tag
# would otherwise become a number); `--` ends the flags.
set_config() {
  pulumi config set --stack "$stack" --config-file "$file" --path --type "$1" "$2" -- "$3"
  echo "  $2 = $3"
}

if [ "$first" = true ]; then
  model=${MODEL_REF:?MODEL_REF is the candidate (name@version)}
  echo "first release: the registry has no champion, so $model in image $tag serves both arms"
  set_config string serving.championImageTag "$tag"
  set_config string serving.championModel "$model"
  set_config bool serving.enabled true
fi
if [ -n "${GARCH_VERSION:-}" ]; then
  echo "GARCH model v$GARCH_VERSION fitted in this run: the GARCH service runs image $tag, which carries it"
  set_config string garch.imageTag "$tag"
fi
