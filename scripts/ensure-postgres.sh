#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 for the tests: use the running one, start an
# installed one, or install Debian's and start it. Fails loudly: the tests must not skip PostgreSQL.
set -euo pipefail
HOST=${HEARD_PG_HOST:-127.0.0.1}
PORT=${HEARD_PG_PORT:-5432}
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

ready() { command -v pg_isready >/dev/null && pg_isready -q -h "$HOST" -p "$PORT"; }

if ready; then echo "postgres: running on $HOST:$PORT"; exit 0; fi
if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
  echo "postgres: installing Debian's postgresql"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
VERSION=$(ls /etc/postgresql | sort -V | tail -n 1)
CONF=/etc/postgresql/$VERSION/main
# Trust local TCP connections so the tests can connect as postgres without a password (test machines
# only). pg_hba.conf is read top-down and the first match wins, so the rule goes first.
if ! grep -q "heard-tests" "$CONF/pg_hba.conf"; then
  $SUDO sed -i '1i host all all 127.0.0.1/32 trust # heard-tests' "$CONF/pg_hba.conf"
fi
$SUDO pg_ctlcluster --skip-systemctl-redirect "$VERSION" main start || $SUDO pg_ctlcluster "$VERSION" main start
for _ in $(seq 1 30); do ready && { echo "postgres: started $VERSION on $HOST:$PORT"; exit 0; }; sleep 1; done
echo "postgres: could not start a server on $HOST:$PORT" >&2
exit 1
