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
		./search:FuzzStoredDoc; do
		pkg=${target%%:*} name=${target##*:}
		go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 1s
	done
fi
