#!/bin/sh
# pg-test-server.sh start|stop|uri DIR - a throwaway PostgreSQL cluster for
# the store's tests.
#
#   start DIR  creates a cluster in DIR/data (Debian's PostgreSQL 15
#              initdb), starts it listening only on a unix socket in DIR
#              and on 127.0.0.1 at a free port, and prints its URI:
#                postgresql://postgres@127.0.0.1:PORT/postgres
#              e.g.  export CALIPSO_TEST_PG_URI=$(scripts/pg-test-server.sh start /tmp/cst-pg)
#   stop DIR   stops it and removes what start created (DIR/data, the log,
#              DIR itself when start made it and it is empty).
#   uri DIR    prints the URI of a running cluster again.
#
# The server refuses to run as root, so when run as root the cluster belongs
# to the `postgres` system user.  Trust authentication, fsync off: for
# tests only, never for data anyone wants to keep.
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

usage() {
	echo "usage: $0 start|stop|uri DIR" >&2
	exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case "$dir" in
/*) ;;
*) dir="$(pwd)/$dir" ;;
esac

# Runs a command as the cluster's owner.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

case "$cmd" in
start)
	[ -x "$PGBIN/initdb" ] || { echo "$0: $PGBIN/initdb not found (apt-get install postgresql-15)" >&2; exit 1; }
	if [ -e "$dir/data/PG_VERSION" ]; then
		echo "$0: a cluster already exists in $dir/data (stop it first)" >&2
		exit 1
	fi
	if [ ! -d "$dir" ]; then
		mkdir -p "$dir"
		touch "$dir/.created-by-pg-test-server"
	fi
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$dir"
	fi
	chmod 0700 "$dir"
	as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
		--no-sync >"$dir/initdb.log" 2>&1 || {
		echo "$0: initdb failed:" >&2
		cat "$dir/initdb.log" >&2
		exit 1
	}
	# A free port can be taken between the probe and the bind: retry.
	tries=0
	while :; do
		port=$(free_port)
		if as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
			-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
			start >/dev/null 2>&1; then
			break
		fi
		tries=$((tries + 1))
		if [ $tries -ge 5 ]; then
			echo "$0: the server did not start:" >&2
			tail -20 "$dir/server.log" >&2
			exit 1
		fi
	done
	echo "$port" >"$dir/port"
	echo "postgresql://postgres@127.0.0.1:$port/postgres"
	;;
stop)
	if [ -e "$dir/data/PG_VERSION" ]; then
		as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
		rm -rf "$dir/data"
	fi
	rm -f "$dir/port" "$dir/server.log" "$dir/initdb.log"
	if [ -e "$dir/.created-by-pg-test-server" ]; then
		rm -f "$dir/.created-by-pg-test-server"
		rmdir "$dir" 2>/dev/null || true
	fi
	;;
uri)
	[ -s "$dir/port" ] || { echo "$0: no cluster running in $dir" >&2; exit 1; }
	echo "postgresql://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
	;;
*)
	usage
	;;
esac
