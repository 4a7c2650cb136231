#!/usr/bin/env bash
#
# AgID's conformance suite (spid-sp-test) against a running Sportello, for the comune
# `borgoverde` of the demo: SP metadata in the public-SP, aggregator and CIE profiles, the
# production checks (offline), the AuthnRequest checks and all 111 response cases.
#
# usage: tests/spid/run.sh SPORTELLO_BINARY
# Needs the virtualenv made by scripts/install-test-deps (.venv-test) and openssl.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
binary=$(realpath "$1")
venv=.venv-test
# shellcheck source=/dev/null
source "$venv/bin/activate"

work=$(mktemp -d)
pid=""
cleanup() {
    if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# The suite's built-in fake IdP ships a certificate that expired in 2025: it signs its forged
# responses with a fresh one instead, rather than us relaxing any check.
mkdir -p "$work/idp-cert"
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 7 \
    -subj "/C=IT/O=spid-sp-test fake IdP/CN=localhost" \
    -keyout "$work/idp-cert/private.key" -out "$work/idp-cert/public.cert" 2>/dev/null
export IDP_CERT_PATH="$work/idp-cert"
spid_sp_test --idp-metadata 2>/dev/null >"$work/idp-metadata.xml"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts the demo with the suite's IdP trusted; extra arguments go to `sportello demo`.
start() {
    port=$(free_port)
    data="$work/data-$port"
    "$binary" demo --port "$port" --data "$data" --idp-metadata "$work/idp-metadata.xml" "$@" \
        >"$work/demo-$port.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 200); do
        if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
            base="http://localhost:$port/borgoverde"
            return 0
        fi
        sleep 0.1
    done
    echo "the demo did not start:" >&2
    cat "$work/demo-$port.log" >&2
    return 1
}

stop() {
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
}

failures=0
# Runs one suite invocation; prints its summary line and, on failure, its errors.
suite() {
    local name=$1
    shift
    local out="$work/$name.out" err="$work/$name.err" status=0
    "$@" >"$out" 2>"$err" || status=$?
    local summary
    summary=$(grep -E '^Spid QA: executed' "$out" | tail -1 || true)
    printf '%-34s %s\n' "$name" "${summary:-no summary (exit $status)}"
    if ((status != 0)) || [[ -z "$summary" ]]; then
        failures=$((failures + 1))
        grep -E 'ERROR' "$err" | head -40 >&2 || tail -20 "$err" >&2
    fi
}

echo "spid-sp-test $(pip show spid-sp-test 2>/dev/null | sed -n 's/^Version: //p') against sportello demo (borgoverde)"

# 1. Each comune its own public service provider.
start
suite "metadata spid-sp-public" spid_sp_test --metadata-url "$base/saml/metadata" --extra
suite "metadata cie-sp-public" spid_sp_test --metadata-url "$base/saml/cie/metadata" \
    --profile cie-sp-public --extra
suite "authnrequest + 111 responses" spid_sp_test --metadata-url "$base/saml/metadata" \
    --authn-url "$base/saml/login?idp=https://localhost:8443" --extra -tr
stop

# 2. The hosting provider as public soggetto aggregatore (spid-sp-ag-public-full).
export SPORTELLO_SPID__AGGREGATOR__NAME="Servizi Digitali Associati" \
    SPORTELLO_SPID__AGGREGATOR__VAT_NUMBER="IT01234567897" \
    SPORTELLO_SPID__AGGREGATOR__FISCAL_CODE="01234567897" \
    SPORTELLO_SPID__AGGREGATOR__EMAIL="spid@servizi-digitali.example" \
    SPORTELLO_SPID__AGGREGATOR__PHONE="+390612345678" \
    SPORTELLO_SPID__AGGREGATOR__LOCALITY="Roma" \
    SPORTELLO_SPID__AGGREGATOR__IPA_CODE="sda_rm"
start
suite "metadata spid-sp-ag-public-full" spid_sp_test --metadata-url "$base/saml/metadata" \
    --profile spid-sp-ag-public-full --extra
stop
start --public-url https://servizi.provider.example
curl -sf "$base/saml/metadata" -o "$work/metadata-aggregated-production.xml"
SPID_IPA_CODES=c_m901,sda_rm suite "metadata spid-sp-ag-public-full production" \
    python3 tests/spid/spid_sp_test_offline.py \
    --metadata-url "file://$work/metadata-aggregated-production.xml" \
    --profile spid-sp-ag-public-full --extra --production
stop
unset SPORTELLO_SPID__AGGREGATOR__NAME SPORTELLO_SPID__AGGREGATOR__VAT_NUMBER \
    SPORTELLO_SPID__AGGREGATOR__FISCAL_CODE SPORTELLO_SPID__AGGREGATOR__EMAIL \
    SPORTELLO_SPID__AGGREGATOR__PHONE SPORTELLO_SPID__AGGREGATOR__LOCALITY \
    SPORTELLO_SPID__AGGREGATOR__IPA_CODE

# 3. Production shape: HTTPS addresses without ports and the Avviso 29 certificate checks,
# with the IPA code lookup answered offline. The metadata is fetched from the local demo and
# checked as a file, since its addresses point to the production host.
start --public-url https://servizi.comune-borgoverde.example
curl -sf "$base/saml/metadata" -o "$work/metadata-production.xml"
SPID_IPA_CODES=c_m901 suite "metadata spid-sp-public production" \
    python3 tests/spid/spid_sp_test_offline.py \
    --metadata-url "file://$work/metadata-production.xml" --extra --production
curl -sf "$base/saml/cie/metadata" -o "$work/metadata-cie-production.xml"
SPID_IPA_CODES=c_m901 suite "metadata cie-sp-public production" \
    python3 tests/spid/spid_sp_test_offline.py \
    --metadata-url "file://$work/metadata-cie-production.xml" --profile cie-sp-public \
    --extra --production
stop

if ((failures > 0)); then
    echo "spid-sp-test: $failures run(s) failed"
    exit 1
fi
echo "spid-sp-test: all runs passed"
