# Sourced by scripts/test.sh: starts a throwaway PostgreSQL cluster for
# the tests and exports CHATPAPER_TEST_DATABASE_URL, unless that is
# already set. Installs Debian's postgresql when no server binaries are
# found. The cluster lives in a temporary folder and is stopped and
# removed when the calling shell exits.

pg_bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
		echo "$d"; return 0
	fi
	if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
		dirname "$(command -v pg_ctl)"; return 0
	fi
	return 1
}

start_test_postgres() {
	if [ -n "${CHATPAPER_TEST_DATABASE_URL:-}" ]; then
		echo "using CHATPAPER_TEST_DATABASE_URL from the environment"
		return 0
	fi
	local bin
	if ! bin=$(pg_bindir); then
		echo "PostgreSQL not found: installing Debian's postgresql"
		if [ "$(id -u)" -ne 0 ]; then
			echo "cannot install postgresql without root; set CHATPAPER_TEST_DATABASE_URL" >&2
			return 1
		fi
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
		bin=$(pg_bindir) || { echo "postgresql installed but initdb/pg_ctl not found" >&2; return 1; }
	fi

	PG_TMP=$(mktemp -d /tmp/chatpaper-pg.XXXXXX)
	# PostgreSQL refuses to run as root: run it as the postgres user.
	local as=()
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
		chown postgres "$PG_TMP"
		as=(runuser -u postgres --)
	fi
	trap stop_test_postgres EXIT
	"${as[@]}" "$bin/initdb" -D "$PG_TMP/data" -U postgres --auth=trust -E UTF8 --locale=C >"$PG_TMP/initdb.log" 2>&1 ||
		{ cat "$PG_TMP/initdb.log" >&2; return 1; }

	local port tries=0
	while :; do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			# fsync off: the cluster is thrown away, so durability buys nothing.
			if "${as[@]}" "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
				-o "-p $port -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null; then
				break
			fi
		fi
		tries=$((tries + 1))
		if [ "$tries" -ge 5 ]; then
			cat "$PG_TMP/server.log" >&2; return 1
		fi
	done
	"${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres chatpaper_test
	export CHATPAPER_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/chatpaper_test?sslmode=disable"
	echo "started PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

stop_test_postgres() {
	if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP" ]; then
		local bin as=()
		bin=$(pg_bindir) || true
		[ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
		[ -n "$bin" ] && "${as[@]}" "$bin/pg_ctl" -D "$PG_TMP/data" -m immediate -w stop >/dev/null 2>&1 || true
		rm -rf "$PG_TMP"
	fi
}
