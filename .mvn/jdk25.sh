# Sourced by ./mvnw and ./s0 (POSIX sh): point JAVA_HOME at a JDK 25, whatever the machine's default
# java is. JAVA_HOME wins when it is a JDK 25; otherwise the first /usr/lib/jvm/*25* that is one
# (S0_JDK_DIR replaces /usr/lib/jvm, for machines that keep JDKs elsewhere).
s0_is_jdk25() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && [ -f "$1/release" ] &&
    grep -Eq '^JAVA_VERSION="25([.".]|$)' "$1/release"
}
if [ -z "${JAVA_HOME-}" ] || ! s0_is_jdk25 "$JAVA_HOME"; then
  s0_jdk=
  case $- in *f*) set +f; s0_noglob=1 ;; *) s0_noglob= ;; esac
  for s0_dir in "${S0_JDK_DIR:-/usr/lib/jvm}"/*25*; do
    if s0_is_jdk25 "$s0_dir"; then s0_jdk=$s0_dir; break; fi
  done
  [ -z "$s0_noglob" ] || set -f
  if [ -z "$s0_jdk" ]; then
    echo "error: Sandbox0 needs a JDK 25, and none was found." >&2
    echo "  JAVA_HOME=${JAVA_HOME-<unset>} is not a JDK 25, and no JDK 25 is under ${S0_JDK_DIR:-/usr/lib/jvm}/*25*." >&2
    echo "  Install one (for example Temurin 25: apt-get install temurin-25-jdk) or set JAVA_HOME to it." >&2
    exit 1
  fi
  JAVA_HOME=$s0_jdk
  export JAVA_HOME
fi
