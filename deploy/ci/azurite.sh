#!/usr/bin/env bash
# Azurite (the Azure Storage emulator, from npm) for the cluster tests.
#   deploy/ci/azurite.sh start   install (once) into $ROLLOUTS_AZURITE_DIR, start on 127.0.0.1:10000-10002, wait for the ports
#   deploy/ci/azurite.sh stop    stop the instance started by 'start'
# The tests read the connection string from ROLLOUTS_AZURITE (default: Azurite's well-known development account on 127.0.0.1).
set -euo pipefail

dir="${ROLLOUTS_AZURITE_DIR:-${TMPDIR:-/tmp}/rollouts-azurite}"
version="${ROLLOUTS_AZURITE_VERSION:-3.35.0}"
pidfile="$dir/azurite.pid"
ports=(10000 10001 10002)

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  mkdir -p "$dir"
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "azurite: node and npm are needed (apt-get install nodejs npm)" >&2
    return 1
  fi
  if [ ! -x "$dir/node_modules/.bin/azurite" ]; then
    echo "azurite: installing azurite@$version into $dir" >&2
    (cd "$dir" && npm install --silent --no-audit --no-fund --no-save "azurite@$version" >/dev/null 2>"$dir/npm.log") \
      || { echo "azurite: npm install failed (see $dir/npm.log)" >&2; cat "$dir/npm.log" >&2; return 1; }
  fi
  if port_open 10000; then
    echo "azurite: something already listens on 127.0.0.1:10000; using it" >&2
    return 0
  fi
  nohup "$dir/node_modules/.bin/azurite" --silent --skipApiVersionCheck --loose --inMemoryPersistence \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
    >"$dir/azurite.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 120); do
    ok=1
    for p in "${ports[@]}"; do port_open "$p" || ok=0; done
    if [ "$ok" = 1 ]; then echo "azurite: up on 127.0.0.1:10000-10002 (pid $(cat "$pidfile"))" >&2; return 0; fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "azurite: exited during start-up:" >&2; cat "$dir/azurite.log" >&2; return 1
    fi
    sleep 0.5
  done
  echo "azurite: ports 10000-10002 did not open within 60 s" >&2
  return 1
}

stop() {
  if [ -f "$pidfile" ]; then
    pid="$(cat "$pidfile")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
