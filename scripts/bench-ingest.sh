#!/usr/bin/env bash
# Bulk-ingest benchmark (docs/BENCHMARKS.md, "Bulk ingest").
# Writes N synthetic papers with 5 broken files, then times in one run:
#   1. parse only (chatpaper ingest -n): the baseline,
#   2. a full ingest with the local embedder into an empty data folder,
#   3. the same ingest again, where every paper is unchanged and skipped.
# Usage: scripts/bench-ingest.sh [N] [WORKERS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
j=${2:-$(nproc)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/chatpaper" ./cmd/chatpaper
go run ./ingest/internal/gencorpus -n "$n" -broken 5 -out "$work/corpus"
for step in "parse only:-n" "ingest:" "re-ingest (unchanged):"; do
	label=${step%%:*} flag=${step#*:}
	echo "== $label"
	# The run exits 1 because of the broken files; that is expected.
	"$work/chatpaper" ingest -data "$work/data" -j "$j" -progress lines -q $flag "$work/corpus" 2>"$work/err" || true
	grep -c '^  .*: ' "$work/err" | sed 's/^/failed files reported: /'
done
