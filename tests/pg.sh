#!/usr/bin/env bash
# Start a local PostgreSQL 15 cluster for the migration and store tests; safe to run again.
#
# Installs Debian's postgresql-15 when the server is missing, creates or starts the cluster,
# lets the `postgres` role connect from the loopback address without a password (trust: this
# is for a throw-away test server only, never for one that holds real data) and prints the
# DSN the tests read from CALLEXPERT_TEST_PG_DSN.
#
#   export CALLEXPERT_TEST_PG_DSN="$(bash tests/pg.sh)"
#
# With --if-possible (what `make test` uses) it never asks for a password (sudo -n) and never
# fails: when it cannot install or start the server it says why on stderr and prints nothing,
# and the tests that need PostgreSQL skip with a line saying how to run them.
set -euo pipefail

if [ "${1:-}" = "--if-possible" ]; then
    if dsn="$(PG_SH_NO_PROMPT=1 bash "$0")"; then
        echo "${dsn}"
    else
        echo "pg.sh: could not start PostgreSQL (it needs root or passwordless sudo, and apt); the tests that need it will skip" >&2
    fi
    exit 0
fi

PG_VERSION="${PG_VERSION:-15}"
PG_CLUSTER="${PG_CLUSTER:-main}"
PG_PORT="${PG_PORT:-5432}"
MARK="# callexpert-tests: loopback trust for the test role"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif [ -n "${PG_SH_NO_PROMPT:-}" ]; then sudo -n "$@"
    else sudo "$@"; fi
}
say() { echo "pg.sh: $*" >&2; }

if [ ! -x "/usr/lib/postgresql/${PG_VERSION}/bin/postgres" ]; then
    say "installing postgresql-${PG_VERSION}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-${PG_VERSION}" >&2
fi

if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "${PG_VERSION} ${PG_CLUSTER}"; then
    say "creating cluster ${PG_VERSION}/${PG_CLUSTER} on port ${PG_PORT}"
    as_root pg_createcluster "${PG_VERSION}" "${PG_CLUSTER}" --port "${PG_PORT}" >&2
fi
PG_PORT="$(pg_lsclusters -h | awk -v v="${PG_VERSION}" -v c="${PG_CLUSTER}" '$1==v && $2==c {print $3}')"

HBA="/etc/postgresql/${PG_VERSION}/${PG_CLUSTER}/pg_hba.conf"
changed=0
if ! as_root grep -qF "${MARK}" "${HBA}"; then
    # pg_hba.conf is read top-down and the first match wins, so the trust lines go first.
    tmp="$(mktemp)"
    {
        echo "${MARK}"
        echo "host    all    postgres    127.0.0.1/32    trust"
        echo "host    all    postgres    ::1/128         trust"
        as_root cat "${HBA}"
    } >"${tmp}"
    as_root install -o postgres -g postgres -m 640 "${tmp}" "${HBA}"
    rm -f "${tmp}"
    changed=1
fi

status="$(pg_lsclusters -h | awk -v v="${PG_VERSION}" -v c="${PG_CLUSTER}" '$1==v && $2==c {print $4}')"
if [ "${status}" != "online" ]; then
    say "starting cluster ${PG_VERSION}/${PG_CLUSTER}"
    as_root pg_ctlcluster "${PG_VERSION}" "${PG_CLUSTER}" start >&2
elif [ "${changed}" -eq 1 ]; then
    as_root pg_ctlcluster "${PG_VERSION}" "${PG_CLUSTER}" reload >&2
fi

for _ in $(seq 1 30); do
    if pg_isready -q -h 127.0.0.1 -p "${PG_PORT}"; then
        echo "postgresql://postgres@127.0.0.1:${PG_PORT}/postgres"
        exit 0
    fi
    sleep 1
done
say "PostgreSQL ${PG_VERSION}/${PG_CLUSTER} did not accept connections on 127.0.0.1:${PG_PORT} within 30 s"
exit 1
