#!/usr/bin/env bash
# Runs every ChatPaper test: formatting, vet, and the whole suite with the
# race detector. CI (.ci/run) calls exactly this script; so should you.
set -euo pipefail
cd "$(dirname "$0")/.."

# apt_install PACKAGE... installs Debian packages when running as root;
# it never fails the run, so the tests that need them can skip instead.
apt_updated=""
apt_install() {
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		echo "not root or no apt-get: cannot install $*"; return 1
	fi
	if [ -z "$apt_updated" ]; then
		apt-get update -qq || { echo "apt-get update failed"; return 1; }
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
		|| { echo "apt-get install $* failed"; return 1; }
}

echo "== browser for the widget test"
if ! command -v chromium >/dev/null 2>&1; then
	apt_install chromium fonts-noto-cjk fonts-noto-color-emoji || echo "chromium unavailable: TestBrowserWidget will skip"
elif ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
	apt_install fonts-noto-cjk || echo "fonts-noto-cjk unavailable: Chinese text may render as boxes in screenshots"
fi

echo "== docker compose config"
compose=""
if docker compose version >/dev/null 2>&1; then
	compose="docker compose"
elif command -v docker-compose >/dev/null 2>&1; then
	compose="docker-compose"
elif apt_install docker-compose; then
	compose="docker-compose"
fi
if [ -n "$compose" ]; then
	$compose -f docker-compose.yml config -q
	echo "docker-compose.yml is valid ($compose)"
else
	echo "skipped: no docker compose client could be had"
fi

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

# Fuzz every parser, the stream filters and the websocket frame decoder for a bounded time
# each (go test -fuzz takes one target and one package per run). A
# crasher is written to the package's testdata/fuzz/<Target>/ and fails
# the run; commit it so it stays a regression case. FUZZTIME=0 skips.
FUZZTIME=${FUZZTIME:-10s}

# fuzz_one PACKAGE TARGET fuzzes one target. Go 1.26's fuzzing coordinator
# can report "context deadline exceeded" as a failure when -fuzztime ends
# while a worker is busy (go.dev/issue/75804, fixed in Go 1.27): a run that
# fails with that line alone, having written no failing input, is run once
# more; every other failure fails at once.
fuzz_one() {
	local pkg=$1 name=$2 log
	log=$(mktemp)
	for attempt in 1 2; do
		if go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 1s 2>&1 | tee "$log"; then
			rm -f "$log"
			return 0
		fi
		if [ "$attempt" = 1 ] && grep -q '^    context deadline exceeded$' "$log" \
			&& ! grep -q 'Failing input written\|panic:\|_test.go:[0-9]*:' "$log"; then
			echo "fuzz: $name stopped at its time limit by the toolchain's race, no failing input: once more"
			continue
		fi
		rm -f "$log"
		return 1
	done
	rm -f "$log"
	return 1
}

if [ "$FUZZTIME" != "0" ]; then
	echo "== go test -fuzz ($FUZZTIME each)"
	for target in \
		./paper:FuzzParseJSON \
		./paper:FuzzParsePageText \
		./paper:FuzzFindMarks \
		./paper/jats:FuzzParse \
		./paper/crossref:FuzzParse \
		./paper:FuzzNormalizeDOI \
		./paper:FuzzReferenceLabel \
		./crossref:FuzzDecode \
		./paper/pdf:FuzzText \
		./summary:FuzzParseSuggestions \
		./rag:FuzzCitationFilter \
		./rag:FuzzRecognizeIntent \
		./rag:FuzzAbbreviations \
		./llm:FuzzCleaner \
		./web:FuzzDecodeFrame \
		./web:FuzzRequestHeaders \
		./search:FuzzDecodeLexicon \
		./library:FuzzDecodeImage \
		./rag:FuzzDotSparse \
		./search:FuzzStoredDoc; do
		fuzz_one "${target%%:*}" "${target##*:}"
	done
fi
