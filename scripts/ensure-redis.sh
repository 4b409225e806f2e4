#!/usr/bin/env bash
# Make sure a Redis server answers on 127.0.0.1:6379 for the tests (live assist across workers): use the
# running one, or install Debian's and start it. Fails loudly: the tests must not skip Redis.
set -euo pipefail
HOST=${HEARD_REDIS_HOST:-127.0.0.1}
PORT=${HEARD_REDIS_PORT:-6379}
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

ready() { command -v redis-cli >/dev/null && [ "$(redis-cli -h "$HOST" -p "$PORT" ping 2>/dev/null)" = PONG ]; }

if ready; then echo "redis: running on $HOST:$PORT"; exit 0; fi
if ! command -v redis-server >/dev/null; then
  echo "redis: installing Debian's redis-server"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi
# Nothing on disk: the tests' live state is throwaway.
$SUDO redis-server --bind "$HOST" --port "$PORT" --save "" --appendonly no --daemonize yes >/dev/null
for _ in $(seq 1 30); do ready && { echo "redis: started on $HOST:$PORT"; exit 0; }; sleep 1; done
echo "redis: could not start a server on $HOST:$PORT" >&2
exit 1
