# shellcheck shell=bash
#
# A throw-away PostgreSQL cluster for Sportello's tests, in a temporary folder, on a free port
# of 127.0.0.1, with trust authentication for the role `sportello`. Source this file, then:
#
#   pg_start   # sets PG_DIR and PG_PORT, exports SPORTELLO_TEST_POSTGRES_URL
#   ...        # postgres://sportello@127.0.0.1:$PG_PORT/postgres
#   pg_stop    # stops the server and removes PG_DIR; safe to call more than once
#
# Uses Debian's `postgresql` package (scripts/install-test-deps installs it). initdb and
# postgres refuse to run as root: as root they run as the `postgres` system user.

PG_DIR=""
PG_PORT=""
PG_BIN=""

# Prints the newest /usr/lib/postgresql/<version>/bin that has initdb.
_pg_find_bin() {
    local dir best="" best_version=-1 version
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] || continue
        version=${dir#/usr/lib/postgresql/}
        version=${version%%/*}
        version=${version%%.*}
        [[ "$version" =~ ^[0-9]+$ ]] || continue
        if ((version > best_version)); then
            best_version=$version
            best=$dir
        fi
    done
    [[ -n "$best" ]] || return 1
    printf '%s\n' "$best"
}

# Prints a TCP port of 127.0.0.1 that nothing listens on.
_pg_free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
        return
    fi
    local port tries
    for ((tries = 0; tries < 100; tries++)); do
        port=$((20000 + RANDOM % 40000))
        # A refused connection means no server listens there.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s\n' "$port"
            return
        fi
    done
    return 1
}

# Runs a PostgreSQL program inside PG_DIR: as the postgres user when we are root.
_pg_run() {
    if [[ "$(id -u)" -eq 0 ]]; then
        (cd "$PG_DIR" && LC_ALL=C runuser -u postgres -- "$@")
    else
        (cd "$PG_DIR" && LC_ALL=C "$@")
    fi
}

pg_start() {
    if [[ -n "$PG_DIR" ]]; then
        echo "pg_start: a cluster is already running in $PG_DIR" >&2
        return 1
    fi
    if ! PG_BIN=$(_pg_find_bin); then
        echo "pg_start: no PostgreSQL under /usr/lib/postgresql/*/bin;" \
            "run scripts/install-test-deps" >&2
        return 1
    fi

    local mktemp=(mktemp -d -t sportello-pg.XXXXXX)
    if [[ "$(id -u)" -eq 0 ]]; then
        # The postgres user must reach the folder: use the system's temporary folder, not a
        # TMPDIR that may lie under root's home.
        mktemp=(env -u TMPDIR "${mktemp[@]}")
    fi
    PG_DIR=$("${mktemp[@]}") || {
        PG_DIR=""
        return 1
    }
    if [[ "$(id -u)" -eq 0 ]]; then
        if ! id postgres >/dev/null 2>&1; then
            echo "pg_start: running as root, but there is no postgres system user" >&2
            pg_stop
            return 1
        fi
        chown postgres: "$PG_DIR"
    fi

    if ! _pg_run "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U sportello \
        --encoding=UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1; then
        echo "pg_start: initdb failed:" >&2
        cat "$PG_DIR/initdb.log" >&2
        pg_stop
        return 1
    fi

    # Another process may take the free port before the server binds it: try a few ports.
    local attempt
    for attempt in 1 2 3; do
        PG_PORT=$(_pg_free_port) || {
            echo "pg_start: found no free port" >&2
            break
        }
        if [[ -f "$PG_DIR/log" ]]; then
            : >"$PG_DIR/log" # keep only this attempt's log
        fi
        if _pg_run "$PG_BIN/pg_ctl" -w -t 60 -D "$PG_DIR/data" -l "$PG_DIR/log" \
            -o "-p $PG_PORT -k '$PG_DIR' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null; then
            export SPORTELLO_TEST_POSTGRES_URL="postgres://sportello@127.0.0.1:$PG_PORT/postgres"
            echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT ($PG_DIR)"
            return 0
        fi
        echo "pg_start: the server did not start (attempt $attempt); its log:" >&2
        cat "$PG_DIR/log" >&2 2>/dev/null || true
        _pg_run "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    done
    pg_stop
    return 1
}

pg_stop() {
    if [[ -z "$PG_DIR" ]]; then
        return 0
    fi
    if [[ -f "$PG_DIR/data/postmaster.pid" && -n "$PG_BIN" ]]; then
        if ! _pg_run "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null; then
            echo "pg_stop: fast shutdown failed, stopping immediately" >&2
            _pg_run "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null || true
        fi
    fi
    rm -rf "$PG_DIR"
    PG_DIR=""
    PG_PORT=""
    unset SPORTELLO_TEST_POSTGRES_URL
}
