#!/usr/bin/env bash
#
# SPID response validation throughput against a baseline measured in the same run: raw
# RSA-2048 signature verifications with the same key (the cryptographic floor; a validation
# verifies two signatures, Response and Assertion).
#
#   ./bench/spid-validate.sh [--rounds N] [--phases]
#
# Builds the benchmark in release, then runs it on one core (taskset, when available). Prints
# validations/s, RSA verifies/s and their ratio; --phases adds the time of each main step.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo bench --locked -q -p sportello-spid --bench validate --no-run
pin=()
if command -v taskset >/dev/null; then
    pin=(taskset -c 0)
fi
"${pin[@]}" cargo bench --locked -q -p sportello-spid --bench validate -- "$@"
