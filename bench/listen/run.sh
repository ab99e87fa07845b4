#!/bin/sh
# The README's "restarts under --listen" measurement: supervise one `serve` with
# listen = http=127.0.0.1:PORT, run the client loop for 22 s, `ctl restart web` every 2 s.
# usage: bench/listen/run.sh [PORT] [THREADS] [--no-listen]   (from the project root, after ./mvnw package)
set -eu
cd "$(dirname "$0")/../.."
port=${1:-38970}; threads=${2:-2}; mode=${3:-}
. ./.mvn/find-jdk.sh
daemonkit_find_jdk
java="$JAVA_HOME/bin/java --enable-native-access=ALL-UNNAMED -jar $PWD/target/daemonkit.jar"
work=$(mktemp -d)
trap 'kill "$sup" 2>/dev/null; wait "$sup" 2>/dev/null; rm -rf "$work"' EXIT
mkdir "$work/www" && echo hello > "$work/www/index.html"
if [ "$mode" = --no-listen ]; then
    printf '[program:web]\ncommand = %s serve --root %s --port %s\n' "$java" "$work/www" "$port" > "$work/sup.ini"
else
    printf '[program:web]\ncommand = %s serve --root %s\nlisten = http=127.0.0.1:%s\n' "$java" "$work/www" "$port" > "$work/sup.ini"
fi
$java supervise --config "$work/sup.ini" --control "$work/c.sock" > "$work/sup.out" 2>&1 &
sup=$!
sleep 3
python3 bench/listen/client.py "$port" 22 "$threads" > "$work/client.out" &
client=$!
for i in 1 2 3 4 5 6 7 8 9 10; do sleep 2; $java ctl --control "$work/c.sock" restart web > /dev/null; done
wait "$client"
echo "threads=$threads starts=$(grep -c 'STARTING -> RUNNING' "$work/sup.out") $(cat "$work/client.out")"
