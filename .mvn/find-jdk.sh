# Sourced by ./mvnw, ./daemonkit, .ci/run and bench/run: picks a JDK >= 22 and exports JAVA_HOME.
# Order: $JAVA_HOME if it is new enough, else the newest suitable JDK under /usr/lib/jvm.
# POSIX sh on purpose (mvnw is /bin/sh). Shell built-ins only on the usual path: ./daemonkit runs
# this before every command, and each program started here costs about a millisecond.
# Also sets daemonkit_jdk_release to the chosen JDK's JAVA_RUNTIME_VERSION (e.g. 25.0.3+9-LTS),
# or to its feature release when the release file does not say.

# Sets _dk_dir to the physical path of directory $1 (symlinks resolved) without starting a
# subshell: cd -P there and back. Falls back to $(cd && pwd -P) if the way back is uncertain.
daemonkit_physical_dir() {
  _dk_back=$PWD
  if [ -d "$_dk_back" ] && CDPATH= cd -P "$1" 2>/dev/null; then
    _dk_dir=$PWD
    CDPATH= cd "$_dk_back" || { _dk_dir=; return 1; }
  else
    _dk_dir=$(CDPATH= cd -P "$1" && pwd -P)
  fi
}

# Sets _dk_feature (17, 22, 25...) and _dk_runtime for the JDK at $1; empty when it is none.
daemonkit_jdk_read() {
  _dk_feature= ; _dk_runtime=
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  if [ -r "$1/release" ]; then
    while IFS= read -r _dk_line || [ -n "$_dk_line" ]; do
      case $_dk_line in
        JAVA_VERSION=\"*)
          _dk_feature=${_dk_line#JAVA_VERSION=\"}
          _dk_feature=${_dk_feature%%[!0-9]*} ;;
        JAVA_RUNTIME_VERSION=\"*)
          _dk_runtime=${_dk_line#JAVA_RUNTIME_VERSION=\"}
          _dk_runtime=${_dk_runtime%\"} ;;
      esac
      # sh reads a byte per system call: stop before the long MODULES line.
      [ -z "$_dk_feature" ] || [ -z "$_dk_runtime" ] || break
    done < "$1/release"
  fi
  if [ -z "$_dk_feature" ]; then
    _dk_feature=$("$1/bin/java" -version 2>&1 | sed -n '1s/.*version "\([0-9][0-9]*\).*/\1/p')
  fi
  [ "$_dk_feature" = 1 ] && _dk_feature=8
  [ -n "$_dk_runtime" ] || _dk_runtime=$_dk_feature
  return 0
}

daemonkit_jdk_feature() {
  # prints the feature release (17, 22, 25...) of the JDK at $1, or nothing
  daemonkit_jdk_read "$1"
  echo "$_dk_feature"
}

daemonkit_find_jdk() {
  _min=22
  if [ -n "${JAVA_HOME:-}" ]; then
    daemonkit_jdk_read "$JAVA_HOME"
    if [ -n "$_dk_feature" ] && [ "$_dk_feature" -ge "$_min" ]; then
      daemonkit_jdk_feature_found=$_dk_feature; daemonkit_jdk_release=$_dk_runtime
      return 0
    fi
    echo "daemonkit: JAVA_HOME=$JAVA_HOME is JDK ${_dk_feature:-unknown}, need >= $_min; looking under /usr/lib/jvm" >&2
  fi
  _best= ; _bestf=0 ; _bestr=
  for _d in /usr/lib/jvm/*; do
    [ -d "$_d" ] || continue
    daemonkit_jdk_read "$_d"
    if [ -n "$_dk_feature" ] && [ "$_dk_feature" -ge "$_min" ] && [ "$_dk_feature" -gt "$_bestf" ]; then
      _best=$_d; _bestf=$_dk_feature; _bestr=$_dk_runtime
    fi
  done
  if [ -z "$_best" ]; then
    echo "daemonkit: no JDK >= $_min found (checked JAVA_HOME and /usr/lib/jvm/*)." >&2
    echo "daemonkit: install one (e.g. Temurin 25) and set JAVA_HOME to it." >&2
    return 1
  fi
  daemonkit_physical_dir "$_best" || return 1
  JAVA_HOME=$_dk_dir
  export JAVA_HOME
  daemonkit_jdk_feature_found=$_bestf; daemonkit_jdk_release=$_bestr
}
