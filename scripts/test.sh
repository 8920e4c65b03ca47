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

echo "== PostgreSQL"
# A throwaway cluster for the PostgreSQL store and replica tests (torn
# down on exit); installs Debian's postgresql when missing.
source scripts/postgres.sh
start_test_postgres

echo "== go test -race"
go test -race -count=1 -timeout 10m ./...

# Fuzz every parser and the websocket frame decoder for a bounded time
# each (go test -fuzz takes one target and one package per run). A
# crasher is written to the package's testdata/fuzz/<Target>/ and fails
# the run; commit it so it stays a regression case. FUZZTIME=0 skips.
FUZZTIME=${FUZZTIME:-10s}
if [ "$FUZZTIME" != "0" ]; then
	echo "== go test -fuzz ($FUZZTIME each)"
	for target in \
		./paper:FuzzParseJSON \
		./paper:FuzzParsePageText \
		./paper/jats:FuzzParse \
		./paper/crossref:FuzzParse \
		./paper/pdf:FuzzText \
		./web:FuzzDecodeFrame; do
		pkg=${target%%:*} name=${target##*:}
		go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 1s
	done
fi
