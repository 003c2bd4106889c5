#!/usr/bin/env bash
# Puts the champion's model artifacts where the registry records them (.mlops/artifacts/<run>/model,
# relative to the repository), copied out of the serving image that runs the champion (the stack
# config's championImageTag). Training's challenger gate scores the champion on the held-out rows,
# and the next serving image carries both models.
#
# A champion image that is not in the registry (a first release) is a notice, not an error: if the
# registry then names a champion, the gate fails naming the artifact it cannot read.
#
# usage: ACR_NAME=… IMAGE_REPOSITORY=… STACK_CONFIG=… restore-champion-artifacts.sh
# Needs `az login` done, Docker, jq, and the workspace installed (`pnpm mlops`).
set -euo pipefail

tag=$(pnpm --silent mlops release show --stack-config "${STACK_CONFIG:?}" --json | jq -r '.championImageTag')
server=$(az acr show --name "${ACR_NAME:?}" --query loginServer --output tsv)
az acr login --name "$ACR_NAME"
image="$server/${IMAGE_REPOSITORY:?}:$tag"
if ! docker pull --quiet "$image"; then
  echo "::notice title=no champion image::$image is not in the registry: training goes on without the champion's artifacts"
  exit 0
fi
mkdir -p .mlops/artifacts
container=$(docker create "$image")
trap 'docker rm "$container" > /dev/null' EXIT
docker cp "$container:/app/.mlops/artifacts/." .mlops/artifacts/
echo "restored the champion's artifacts from $image"
