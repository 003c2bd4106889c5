#!/usr/bin/env bash
# Runs a command (the smoke test, or the rollback that ends in one) with the smoke test's
# credentials in its environment only: a canary token (serving-canary-token-1, the trust token the
# pods accept an x-canary header from) and, as the stack's `edgeAuth` says, an API key
# (serving-api-key-1) or an Entra ID access token for the API's audience (the deploy identity must
# then be assigned the API's app role). They are read from the estate's Key Vault as the deploy
# identity (Key Vault Secrets User on the vault) and masked in the CI log; `mlops smoke --edge`
# reads them as MLOPS_SMOKE_*.
#
# usage: with-smoke-credentials.sh <command> [args…]
# env:   STACK (default prod). Needs `pulumi`, `az` (logged in) and `jq` on PATH.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: with-smoke-credentials.sh <command> [args...]" >&2; exit 2; }

stack=${STACK:-prod}
vault=$(pulumi stack output keyVaultUri --stack "$stack" | sed -E 's#^https://([^.]+)\..*#\1#')

# The stack's edgeAuth, or {} when the stack sets none. `pulumi config get` fails alike for a key
# that is not set and for a backend or secrets provider it cannot reach; only the first, which it
# reports as "configuration key '<key>' not found for stack '<stack>'"
# (pulumi/pulumi pkg/cmd/pulumi/config/config_get.go), means "no credential": any other failure
# stops here with pulumi's message, before a smoke test without the key could pass for one.
edge_auth() {
  local errors status=0
  errors=$(mktemp)
  pulumi config get edgeAuth --stack "$stack" 2> "$errors" || status=$?
  if [ "$status" -ne 0 ]; then
    if grep -q "configuration key 'edgeAuth' not found for stack" "$errors"; then
      echo '{}'
      status=0
    else
      cat "$errors" >&2
    fi
  fi
  rm -f "$errors"
  return "$status"
}
auth=$(edge_auth)

secret() { az keyvault secret show --vault-name "$vault" --name "$1" --query value --output tsv; }
# Masked in GitHub Actions and in Azure Pipelines alike, before anything could print it.
mask() {
  if [ "${GITHUB_ACTIONS:-}" = "true" ]; then echo "::add-mask::$1"; fi
  if [ -n "${TF_BUILD:-}" ]; then echo "##vso[task.setsecret]$1"; fi
}

MLOPS_SMOKE_CANARY_TOKEN=$(secret serving-canary-token-1)
mask "$MLOPS_SMOKE_CANARY_TOKEN"
export MLOPS_SMOKE_CANARY_TOKEN
case $(jq -r '.mode // "none"' <<<"$auth") in
  apiKeys)
    MLOPS_SMOKE_API_KEY=$(secret serving-api-key-1)
    mask "$MLOPS_SMOKE_API_KEY"
    export MLOPS_SMOKE_API_KEY
    ;;
  entra)
    MLOPS_SMOKE_BEARER_TOKEN=$(az account get-access-token \
      --resource "$(jq -r '.audience' <<<"$auth")" --query accessToken --output tsv)
    mask "$MLOPS_SMOKE_BEARER_TOKEN"
    export MLOPS_SMOKE_BEARER_TOKEN
    ;;
  *) echo "with-smoke-credentials.sh: the stack sets no edgeAuth; the API takes no credential" >&2 ;;
esac
exec "$@"
