#!/usr/bin/env bash
# Fits the GARCH service's model for the serving image this run builds, when that image must carry
# it: on a first release (FIRST_RELEASE=true: the registry had no classifier champion, so there is
# no champion image to copy it from, restore-champion-artifacts.sh), or while the registry has no
# version under the stack's GARCH alias ($GARCH_MODEL, the stack's `garch.model`, name@alias). The
# fit is registered under that name from $GARCH_DATA, and its artifacts land in .mlops/artifacts,
# which the serving image bakes in. The alias is not moved here: the deploy job points it at the
# version after approval, before the GARCH pods start (mlops-pipeline.yml), so a deploy that never
# happens changes nothing that is served.
#
# usage: fit-garch-model.sh
# env:   GARCH_MODEL (name@alias), GARCH_DATA (a returns CSV), FIRST_RELEASE (true|false),
#        GITHUB_OUTPUT (optional): `garch-version=` the fitted version, empty when none was.
# Needs the workspace installed (`pnpm mlops`) and jq; MLOPS_STORE names the registry.
set -euo pipefail

ref=${GARCH_MODEL:?GARCH_MODEL is garch.model of the stack (name@alias)}
name=${ref%@*}
alias=${ref#*@}
if [ "$name" = "$ref" ] || [[ $alias =~ ^[0-9]+$ ]]; then
  echo "fit-garch-model.sh: GARCH_MODEL must be name@alias, an alias the pipeline can point at a new fit (got $ref)" >&2
  exit 2
fi
first=${FIRST_RELEASE:?FIRST_RELEASE is true or false}

held=$(pnpm --silent mlops models list --json |
  jq -r --arg name "$name" --arg alias "$alias" '[.[] | select(.name == $name) | .aliases[$alias] // empty] | length')
version=""
if [ "$first" = true ] || [ "$held" = 0 ]; then
  version=$(pnpm --silent mlops garch fit --data "${GARCH_DATA:?GARCH_DATA is the returns CSV}" \
    --name "$name" --json | jq -r '.model.version')
  echo "fitted $name@$version on $GARCH_DATA; deploy points $ref at it"
else
  echo "$ref is registered: the new image carries it from the champion's image"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "garch-version=$version" >> "$GITHUB_OUTPUT"; fi
