#!/usr/bin/env bash
# Trains the challenger candidate on the Azure ML compute cluster instead of the runner, and
# applies the same challenger gate a local `mlops train --auto-promote` does:
#   1. uploads the training file as a data asset (once per commit);
#   2. with SWEEP_SPACE set, runs an Azure ML sweep job over it first (Bandit early termination),
#      whose trials are tracked in the workspace;
#   3. submits `mlops train --target azureml`, a command job in the training image that registers
#      the version in the shared store (src/azureml/jobs.ts), and waits for it;
#   4. copies the job's artifacts back under .mlops/artifacts, where the registry records them;
#   5. runs `mlops gate` here (the node cannot see the champion's artifacts) and writes its JSON
#      (model, value, promotion) to <gate.json>.
#
# usage: azureml-train.sh <gate.json>
# env:   DATA LABEL MODEL_NAME TREES SEED THREADS METRIC THRESHOLD [SWEEP_SPACE], and what
#        `mlops train --target azureml` reads: AZURE_SUBSCRIPTION_ID AZUREML_RESOURCE_GROUP
#        AZUREML_WORKSPACE AZUREML_COMPUTE AZUREML_ENVIRONMENT AZUREML_TRAINING_CLIENT_ID COSMOS_ENDPOINT MLFLOW_TRACKING_URI…
set -euo pipefail

out=${1:?usage: azureml-train.sh <gate.json>}
ws=(--resource-group "${AZUREML_RESOURCE_GROUP:?}" --workspace-name "${AZUREML_WORKSPACE:?}")

# Azure ML's terminal job states (the same set src/azureml/jobs.ts waits for).
wait_for() {
  local job=$1 status
  while :; do
    status=$(az ml job show --name "$job" "${ws[@]}" --query status --output tsv)
    case $status in
      Completed) echo "job $job completed"; return 0 ;;
      Failed | Canceled | NotResponding) echo "job $job ended $status" >&2; return 1 ;;
    esac
    sleep 30
  done
}

asset="${MODEL_NAME:?}-training-data"
version=$(git rev-parse --short=12 HEAD)
if ! az ml data show --name "$asset" --version "$version" "${ws[@]}" --output none 2> /dev/null; then
  az ml data create --name "$asset" --version "$version" --type uri_file --path "${DATA:?}" \
    "${ws[@]}" --output none
fi
input="azureml:$asset:$version"

if [ -n "${SWEEP_SPACE:-}" ]; then
  sweep=$(pnpm --silent mlops sweep --target azureml --data "$input" --label "${LABEL:?}" \
    --space "$SWEEP_SPACE" --sampling random --max-trials 16 --max-concurrent 4 \
    --trees "${TREES:?}" --policy bandit --slack-factor 0.1 --evaluation-interval 1 \
    --delay-evaluation 2 --threads "${THREADS:?}" --experiment "$MODEL_NAME-sweep" --json |
    jq -r '.jobs[0].name')
  wait_for "$sweep"
fi

job=$(pnpm --silent mlops train --target azureml --data "$input" --label "$LABEL" \
  --name "$MODEL_NAME" --trees "$TREES" --seed "${SEED:?}" --threads "$THREADS" --json |
  jq -r '.jobs[0].name')
wait_for "$job"

download=$(mktemp -d)
az ml job download --name "$job" --output-name model --download-path "$download" "${ws[@]}"
manifest=$(find "$download" -path '*/model/manifest.json' | head -n 1)
if [ -z "$manifest" ]; then
  echo "job $job wrote no model artifact to its model output" >&2
  exit 1
fi
mkdir -p .mlops/artifacts
cp -R "$(dirname "$(dirname "$manifest")")" .mlops/artifacts/

pnpm --silent mlops gate --model "$(jq -r '"\(.name)@\(.version)"' "$manifest")" \
  --data "$DATA" --label "$LABEL" --seed "$SEED" --metric "${METRIC:?}" \
  --promotion-threshold "${THRESHOLD:?}" --json > "$out"
{
  echo "trained on Azure ML: job $job${sweep:+ (after sweep job $sweep)}"
} >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
