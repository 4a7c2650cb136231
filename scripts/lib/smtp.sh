# shellcheck shell=bash
#
# A throw-away SMTP server for sportello-notify's tests (tests/smtp/server.py): STARTTLS and
# AUTH required, like a comune's relay, on a free port of 127.0.0.1. Source this file, then:
#
#   smtp_start   # sets SMTP_DIR and SMTP_PID, exports
#                #   SPORTELLO_TEST_SMTP_PORT   the port on 127.0.0.1
#                #   SPORTELLO_TEST_SMTP_SPOOL  the folder of the accepted messages (.eml)
#                #   SPORTELLO_TEST_SMTP_CA     the server's self-signed certificate (PEM)
#   ...          # credentials: sportello / sportello-test
#   smtp_stop    # stops the server and removes SMTP_DIR; safe to call more than once
#
# Needs aiosmtpd in .venv-test and the openssl command (scripts/install-test-deps installs
# both).

SMTP_DIR=""
SMTP_PID=""
_SMTP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

smtp_start() {
    if [[ -n "$SMTP_PID" ]]; then
        echo "smtp_start: a server is already running (pid $SMTP_PID)" >&2
        return 1
    fi
    local python="$_SMTP_ROOT/.venv-test/bin/python"
    if [[ ! -x "$python" ]] || ! "$python" -c 'import aiosmtpd' 2>/dev/null; then
        echo "smtp_start: aiosmtpd is missing from .venv-test; run scripts/install-test-deps" >&2
        return 1
    fi
    if ! command -v openssl >/dev/null 2>&1; then
        echo "smtp_start: the openssl command is missing; run scripts/install-test-deps" >&2
        return 1
    fi
    SMTP_DIR=$(mktemp -d -t sportello-smtp.XXXXXX) || {
        SMTP_DIR=""
        return 1
    }
    # The server binds port 0 and writes the port it got: no other process can take the
    # port between choosing and binding it. It also ends by itself if this shell dies.
    "$python" "$_SMTP_ROOT/tests/smtp/server.py" --dir "$SMTP_DIR" --watch-pid "$$" \
        >"$SMTP_DIR/log" 2>&1 &
    SMTP_PID=$!

    local port="" _
    for _ in $(seq 1 150); do
        if ! kill -0 "$SMTP_PID" 2>/dev/null; then
            break
        fi
        if [[ -s "$SMTP_DIR/port" ]]; then
            port=$(<"$SMTP_DIR/port")
            # Accepting connections, not only bound: read the 220 greeting.
            if (exec 3<>"/dev/tcp/127.0.0.1/$port" && read -r -t 2 greeting <&3 &&
                [[ "$greeting" == 220* ]]) 2>/dev/null; then
                export SPORTELLO_TEST_SMTP_PORT="$port"
                export SPORTELLO_TEST_SMTP_SPOOL="$SMTP_DIR/spool"
                export SPORTELLO_TEST_SMTP_CA="$SMTP_DIR/tls/cert.pem"
                echo "SMTP test server on 127.0.0.1:$port ($SMTP_DIR)"
                return 0
            fi
        fi
        sleep 0.1
    done
    echo "smtp_start: the server did not start; its log:" >&2
    cat "$SMTP_DIR/log" >&2 2>/dev/null || true
    smtp_stop
    return 1
}

smtp_stop() {
    if [[ -n "$SMTP_PID" ]]; then
        kill "$SMTP_PID" 2>/dev/null || true
        wait "$SMTP_PID" 2>/dev/null || true
    fi
    if [[ -n "$SMTP_DIR" ]]; then
        rm -rf "$SMTP_DIR"
    fi
    SMTP_DIR=""
    SMTP_PID=""
    unset SPORTELLO_TEST_SMTP_PORT SPORTELLO_TEST_SMTP_SPOOL SPORTELLO_TEST_SMTP_CA
}
