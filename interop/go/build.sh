#!/usr/bin/env bash
# Builds the go-libp2p PAW peer (bin/paw-interop-go), or with `test` runs its tests (the
# protocol vectors). Go modules and the build cache live outside the clone, under
# $PAW_INTEROP_CACHE (default ~/.cache/paw-interop), so a second run is incremental.
set -euo pipefail
cd "$(dirname "$0")"
cache="${PAW_INTEROP_CACHE:-$HOME/.cache/paw-interop}"
export GOMODCACHE="$cache/go-mod" GOCACHE="$cache/go-build" GOFLAGS="${GOFLAGS:--buildvcs=false}"
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
  export PATH="$PATH:/usr/local/go/bin"
fi
if ! command -v go >/dev/null; then
  echo "interop/go: no go on PATH (Go >= 1.25 is needed)" >&2
  exit 1
fi
start=$(date +%s%N)
if [ "${1:-build}" = "test" ]; then
  go test -count=1 ./...
else
  go build -o bin/paw-interop-go .
fi
echo "interop/go: $(go version | cut -d' ' -f3) ${1:-build} in $(( ($(date +%s%N) - start) / 1000000 )) ms (cache $cache)"
