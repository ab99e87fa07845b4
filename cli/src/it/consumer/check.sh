#!/usr/bin/env bash
# Run by postbuild.groovy after the consumer's build: starts its daemon with the README's
# quick-start command, checks it with the daemonkit CLI ($1: the CLI's module jar, run next to the
# application's module path) and a plain TCP request, stops it. Cleans up on any failure.
set -euo pipefail
cd "$(dirname "$0")"
CLI_JAR="${1:?usage: check.sh DAEMONKIT_CLI_JAR}"
JAVA="${JAVA_HOME:?JAVA_HOME must point at a JDK 22+}/bin/java"
daemonkit() { "$JAVA" --enable-native-access=dev.daemonkit -p "target/modules:$CLI_JAR" -m dev.daemonkit.cli/dev.daemonkit.cli.Main "$@"; }
cleanup() {
  if [ -s target/hello.pid ]; then kill -KILL "$(cat target/hello.pid)" 2>/dev/null || true; fi
  rm -f target/hello.pid
}
trap cleanup EXIT
rm -f target/hello.pid target/hello.log target/hello.port

echo "== start (the README's command)"
$JAVA_HOME/bin/java --enable-native-access=dev.daemonkit -p target/modules \
    -m dev.daemonkit.example.consumer/dev.daemonkit.example.consumer.HelloDaemon \
    target/hello.pid target/hello.log target/hello.port
echo "== status"
daemonkit status --pidfile target/hello.pid
PID=$(cat target/hello.pid)
[ "$(awk '{print $6}' /proc/"$PID"/stat)" != "$PID" ] || { echo "daemon is a session leader"; exit 1; }
echo "== request"
REPLY=$(cat < /dev/tcp/127.0.0.1/"$(cat target/hello.port)")
echo "$REPLY"
[ "$REPLY" = "hello from pid $PID" ] || { echo "unexpected reply: $REPLY"; exit 1; }
echo "== stop"
daemonkit stop --pidfile target/hello.pid
set +e
daemonkit status --pidfile target/hello.pid
STATUS=$?
set -e
[ "$STATUS" = 3 ] || { echo "status after stop: $STATUS, expected 3"; exit 1; }
[ ! -e target/hello.pid ] || { echo "pidfile left behind"; exit 1; }
grep -q "hello daemon $PID listening on 127.0.0.1:" target/hello.log || { echo "log lacks the daemon's line"; cat target/hello.log; exit 1; }
echo "consumer daemon: started, answered, stopped"
