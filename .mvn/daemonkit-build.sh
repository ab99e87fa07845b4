# Sourced by ./daemonkit when target/daemonkit.jar is missing or older than the sources, or when
# its AOT cache is: the slow path, kept out of the script that runs before every command.
# POSIX sh. Expects root, jar, cache, JAVA_HOME and daemonkit_newer_source from ./daemonkit.
#
# Safe rebuilds: a JVM started from target/daemonkit.jar keeps that jar (and each target/lib jar
# it opened) open and reads classes from it for as long as it runs. Writing a new jar over it in
# place (what Maven's jar plugin does) corrupts a running daemon's class path: the next class it
# loads fails (NoClassDefFoundError). So the project is built in a copy under target/, and the
# results are renamed into place: rename(2) swaps the directory entry, a running JVM keeps the
# old file.

daemonkit_lock=

# Holds target/.daemonkit.lock on fd 9 (flock(1) where it exists). $1 = -n: give up if busy.
daemonkit_lock() {
  mkdir -p "$root/target"
  exec 9>>"$root/target/.daemonkit.lock"
  daemonkit_lock=1
  if command -v flock >/dev/null 2>&1; then
    flock ${1:-} 9 || { daemonkit_unlock; return 1; }
  fi
}

daemonkit_unlock() {
  # fd 9 must not leak into the JVM (and into daemons it starts): close it.
  [ -z "$daemonkit_lock" ] || exec 9>&-
  daemonkit_lock=
}

# Builds target/daemonkit.jar and target/lib/ in a copy of the project and renames them into place.
daemonkit_build() {
  daemonkit_lock
  # Someone else may have built it while we waited for the lock.
  if [ -f "$jar" ] && [ -z "$(daemonkit_newer_source)" ]; then
    daemonkit_unlock
    return 0
  fi
  echo "daemonkit: building target/daemonkit.jar ..." >&2
  stage="$root/target/.daemonkit-build.$$"
  rm -rf "$stage"
  mkdir -p "$stage/project"
  # The jar gets the time the sources were copied: an edit made during the build is newer.
  : > "$stage/copied"
  if ! (cd "$root" && tar -cf - --exclude=./.git --exclude=target . | (cd "$stage/project" && tar -xf -)); then
    echo "daemonkit: could not copy the project into $stage" >&2
    rm -rf "$stage"; daemonkit_unlock; return 1
  fi
  if ! (cd "$stage/project" && ./mvnw -q -B -ntp package -Dmaven.test.skip=true -Dinvoker.skip=true \
        -Dmaven.javadoc.skip=true -Dmaven.source.skip=true) >&2; then
    echo "daemonkit: the build failed (see above)" >&2
    rm -rf "$stage"; daemonkit_unlock; return 1
  fi
  built="$stage/project/target"
  if [ ! -f "$built/daemonkit.jar" ]; then
    echo "daemonkit: the build made no target/daemonkit.jar" >&2
    rm -rf "$stage"; daemonkit_unlock; return 1
  fi
  touch -r "$stage/copied" "$built/daemonkit.jar"
  # The old caches describe the old jar: gone before the new jar is in place.
  rm -f "$root"/target/daemonkit-*.aot "$root"/target/daemonkit-*.aot.failed
  mkdir -p "$root/target/lib"
  for f in "$built"/lib/*.jar; do
    [ -f "$f" ] || continue
    # An unchanged dependency stays the very file running JVMs have open.
    cmp -s "$f" "$root/target/lib/${f##*/}" || mv -f "$f" "$root/target/lib/${f##*/}"
  done
  # A jar in lib/ that the new build no longer has stays: a running JVM may still need it.
  mv -f "$built/daemonkit.jar" "$jar"
  rm -rf "$stage"
  daemonkit_unlock
}

# Builds the AOT cache (JDK 24+) or AppCDS archive (JDK 22-23) for the jar: a training run, then a
# check that each option set ./daemonkit uses starts with it, uses it and prints nothing. Any failure leaves a
# .failed marker (no retry until the jar changes) and no cache: never an error for the caller.
daemonkit_train() {
  daemonkit_lock -n || return 1
  if [ -f "$cache" ] && [ ! "$jar" -nt "$cache" ] && [ ! "$root/daemonkit" -nt "$cache" ]; then
    daemonkit_unlock
    return 0
  fi
  tmp="$cache.$$.tmp"
  scratch="$root/target/.daemonkit-training.$$"
  rm -rf "$tmp" "$scratch"
  mkdir -p "$scratch"
  java="$JAVA_HOME/bin/java"
  # No --enable-native-access: the value must match at run time, and -jar takes it from the
  # jar's manifest in a way the cache does not count (it would refuse itself). The training's
  # restricted-method warning goes to its log.
  main=dev.daemonkit.cli.AotTraining
  # The quick and ctl caches (target/daemonkit-RELEASE-quick.aot, -ctl.aot) are trained on those
  # commands alone and used only with the quick commands' options; the full one with all.
  # Those two are trained with the quick commands' reflection (native accessors: no method-handle
  # classes to archive); a -D property may differ between training and use, VM options may not.
  case $cache in
    *-quick.aot) daemonkit_aot_mode=quick; daemonkit_train_props=$daemonkit_opts_reflect ;;
    *-ctl.aot) daemonkit_aot_mode=ctl; daemonkit_train_props=$daemonkit_opts_reflect ;;
    *) daemonkit_aot_mode=; daemonkit_train_props= ;;
  esac
  ok=
  # The training JVM runs with the long-running commands' heap: archived heap objects must fit
  # into the smallest heap that uses the cache, or the JVM refuses to start.
  # shellcheck disable=SC2086
  case $daemonkit_aot_kind in
    cds) daemonkit_aot_strict=-Xshare:on ;;
    *) daemonkit_aot_strict=-XX:AOTMode=on ;;
  esac
  case $daemonkit_aot_kind in
    # Without method profiles: they buy nothing in a JVM that lives 50 ms, and replaying them
    # costs a "Training replay" thread in every JVM, the long-running ones too.
    aot25) "$java" $daemonkit_opts_long $daemonkit_train_props -XX:+UnlockDiagnosticVMOptions -XX:+IgnoreUnrecognizedVMOptions \
             -XX:-AOTRecordTraining -XX:AOTCacheOutput="$tmp" -cp "$jar" $main "$scratch" $daemonkit_aot_mode \
             >"$scratch/log" 2>&1 && ok=1 ;;
    aot24) "$java" $daemonkit_opts_long $daemonkit_train_props -XX:AOTMode=record -XX:AOTConfiguration="$tmp.conf" -cp "$jar" $main "$scratch" $daemonkit_aot_mode \
             >"$scratch/log" 2>&1 &&
           "$java" $daemonkit_opts_long -XX:AOTMode=create -XX:AOTConfiguration="$tmp.conf" -XX:AOTCache="$tmp" -cp "$jar" \
             >>"$scratch/log" 2>&1 && ok=1 ;;
    cds)   "$java" $daemonkit_opts_long $daemonkit_train_props -XX:ArchiveClassesAtExit="$tmp" -cp "$jar" $main "$scratch" $daemonkit_aot_mode \
             >"$scratch/log" 2>&1 && ok=1 ;;
  esac
  if [ -n "$ok" ] && [ -f "$tmp" ]; then
    # Not "opts": that is the caller's variable (./daemonkit's options for the command it is about
    # to run, which would otherwise run with the last ones checked here).
    for daemonkit_check_opts in "$daemonkit_opts_quick" "$daemonkit_opts_short" "$daemonkit_opts_long" "$daemonkit_opts_serve"; do
      [ -z "$daemonkit_aot_mode" ] || [ "$daemonkit_check_opts" = "$daemonkit_opts_quick" ] || continue
      # shellcheck disable=SC2086
      # Strict mode: a cache the JVM would quietly ignore fails here.
      if ! "$java" $daemonkit_check_opts $daemonkit_aot_strict "$daemonkit_aot_use=$tmp" $daemonkit_aot_opts -jar "$jar" version \
            >"$scratch/out" 2>"$scratch/err" || [ -s "$scratch/err" ] \
          || ! read -r first < "$scratch/out" || [ "${first%% *}" != daemonkit ]; then
        ok=
        break
      fi
    done
  fi
  if [ -n "$ok" ] && [ ! "$jar" -nt "$tmp" ]; then
    rm -f "$cache.failed"
    mv -f "$tmp" "$cache"
  else
    : > "$cache.failed"
  fi
  rm -rf "$tmp" "$tmp.conf" "$scratch"
  daemonkit_unlock
  [ -n "$ok" ]
}
