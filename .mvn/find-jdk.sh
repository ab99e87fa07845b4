# Sourced by ./mvnw, .ci/run and bench/run: picks a JDK >= 22 and exports JAVA_HOME.
# Order: $JAVA_HOME if it is new enough, else the newest suitable JDK under /usr/lib/jvm.
# POSIX sh on purpose (mvnw is /bin/sh).
daemonkit_jdk_feature() {
  # prints the feature release (17, 22, 25...) of the JDK at $1, or nothing
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  _v=$(sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "$1/release" 2>/dev/null)
  if [ -z "$_v" ]; then
    _v=$("$1/bin/java" -version 2>&1 | sed -n '1s/.*version "\([0-9][0-9]*\).*/\1/p')
  fi
  [ "$_v" = 1 ] && _v=8
  echo "$_v"
}
daemonkit_find_jdk() {
  _min=22
  if [ -n "${JAVA_HOME:-}" ]; then
    _f=$(daemonkit_jdk_feature "$JAVA_HOME")
    if [ -n "$_f" ] && [ "$_f" -ge "$_min" ]; then return 0; fi
    echo "daemonkit: JAVA_HOME=$JAVA_HOME is JDK ${_f:-unknown}, need >= $_min; looking under /usr/lib/jvm" >&2
  fi
  _best= ; _bestf=0
  for _d in /usr/lib/jvm/*; do
    [ -d "$_d" ] || continue
    _f=$(daemonkit_jdk_feature "$_d")
    if [ -n "$_f" ] && [ "$_f" -ge "$_min" ] && [ "$_f" -gt "$_bestf" ]; then _best=$_d; _bestf=$_f; fi
  done
  if [ -z "$_best" ]; then
    echo "daemonkit: no JDK >= $_min found (checked JAVA_HOME and /usr/lib/jvm/*)." >&2
    echo "daemonkit: install one (e.g. Temurin 25) and set JAVA_HOME to it." >&2
    return 1
  fi
  JAVA_HOME=$(cd "$_best" && pwd -P)
  export JAVA_HOME
}
