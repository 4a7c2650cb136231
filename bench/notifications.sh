#!/usr/bin/env bash
#
# Delivery throughput of App IO notifications through the outbox, on PostgreSQL: N
# notifications delivered to the IO stand-in by one outbox worker (the baseline), then N fresh
# ones by two workers on the same cluster, each with its own connection pool.
#
#   ./bench/notifications.sh [N]      # default 5000; builds the bench in release mode
#
# Starts a throw-away PostgreSQL (scripts/lib/postgres.sh; each run gets a new database in it),
# runs crates/sportello-notify/benches/delivery.rs, and prints notifications/s for one and two
# workers, the ratio two/one and the peak RSS of the bench process.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

notifications=${1:-5000}
if ! [[ $notifications =~ ^[0-9]+$ ]] || ((notifications < 1)); then
    echo "usage: $0 [N]   (at least 1)" >&2
    exit 64
fi

# shellcheck source=scripts/lib/postgres.sh
source scripts/lib/postgres.sh
trap pg_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
pg_start >/dev/null
export SPORTELLO_TEST_POSTGRES_URL="postgres://sportello@127.0.0.1:${PG_PORT}/postgres"
SPORTELLO_BENCH_NOTIFICATIONS=$notifications \
    cargo bench --locked -q -p sportello-notify --bench delivery
