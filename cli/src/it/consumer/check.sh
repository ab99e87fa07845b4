#!/usr/bin/env bash
# Starts the consumer's daemon exactly as its README line says, checks it with the daemonkit
# CLI (its own module, next to the application's module path) and a plain TCP request, stops it.
# Cleans up on any failure.
set -euo pipefail
cd "$(dirname "$0")"
JAVA="${JAVA_HOME:?JAVA_HOME must point at a JDK 22+}/bin/java"
MP=target/modules
PIDFILE="$PWD/target/hello.pid"
LOG="$PWD/target/hello.log"
PORTFILE="$PWD/target/hello.port"
# The CLI is a module of its own (dev.daemonkit.cli); the application's module path has no HTTP server.
daemonkit() { "$JAVA" --enable-native-access=dev.daemonkit -p "$MP:target/cli" -m dev.daemonkit.cli/dev.daemonkit.cli.Main "$@"; }
cleanup() {
  if [ -s "$PIDFILE" ]; then kill -KILL "$(cat "$PIDFILE")" 2>/dev/null || true; fi
  rm -f "$PIDFILE"
}
trap cleanup EXIT

echo "== start"
"$JAVA" --enable-native-access=dev.daemonkit -p "$MP" \
  -m dev.daemonkit.example.consumer/dev.daemonkit.example.consumer.HelloDaemon "$PIDFILE" "$LOG" "$PORTFILE"
echo "== status"
daemonkit status --pidfile "$PIDFILE"
PID=$(cat "$PIDFILE")
[ "$(awk '{print $6}' /proc/"$PID"/stat)" != "$PID" ] || { echo "daemon is a session leader"; exit 1; }
echo "== request"
exec 3<>/dev/tcp/127.0.0.1/"$(cat "$PORTFILE")"
read -r REPLY <&3
exec 3<&-
echo "$REPLY"
[ "$REPLY" = "hello from pid $PID" ] || { echo "unexpected reply: $REPLY"; exit 1; }
echo "== stop"
daemonkit stop --pidfile "$PIDFILE"
set +e
daemonkit status --pidfile "$PIDFILE"
STATUS=$?
set -e
[ "$STATUS" = 3 ] || { echo "status after stop: $STATUS, expected 3"; exit 1; }
[ ! -e "$PIDFILE" ] || { echo "pidfile left behind"; exit 1; }
grep -q "hello daemon $PID listening" "$LOG" || { echo "log lacks the daemon's line"; cat "$LOG"; exit 1; }
echo "consumer daemon: started, answered, stopped"
