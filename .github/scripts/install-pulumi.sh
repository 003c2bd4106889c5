#!/usr/bin/env bash
# Installs one release of the Pulumi CLI (Linux x64) into a directory, after checking the archive
# against the SHA-256 checksums file of the same GitHub release. The asset names are the ones
# pulumi/pulumi's .goreleaser.yml gives a release: pulumi-v<version>-linux-x64.tar.gz (the CLI and
# its language hosts under pulumi/) and pulumi-<version>-checksums.txt. For CI systems without an
# install action (azure-pipelines.yml); a job then puts <dir> on its PATH.
#
# usage: install-pulumi.sh <version> <dir>
set -euo pipefail

usage="usage: install-pulumi.sh <version> <dir>"
version=${1:?$usage}
dir=${2:?$usage}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "install-pulumi.sh: version must be X.Y.Z, got '$version'" >&2; exit 2; }

release="https://github.com/pulumi/pulumi/releases/download/v$version"
archive="pulumi-v$version-linux-x64.tar.gz"
sums="pulumi-$version-checksums.txt"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch() { curl --fail --silent --show-error --location --retry 3 --output "$work/$1" "$release/$1"; }
fetch "$sums"
fetch "$archive"

expected=$(awk -v name="$archive" '$2 == name { print $1 }' "$work/$sums")
[ -n "$expected" ] || { echo "install-pulumi.sh: $sums lists no $archive" >&2; exit 1; }
actual=$(sha256sum "$work/$archive" | cut -d' ' -f1)
if [ "$actual" != "$expected" ]; then
  echo "install-pulumi.sh: $archive has SHA-256 $actual, the release lists $expected: not installed" >&2
  exit 1
fi

mkdir -p "$dir"
tar -xzf "$work/$archive" -C "$dir" --strip-components=1
"$dir/pulumi" version
