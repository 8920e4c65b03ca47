#!/usr/bin/env bash
# Runs every ChatPaper test: formatting, vet, and the whole suite with the
# race detector. CI (.ci/run) calls exactly this script; so should you.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 -timeout 10m ./...
