# shellcheck shell=bash
# Shared helpers for scripts/services/*: sourced, not run.
#
# Each service keeps its state under $PLINTH_SERVICES_DIR/<name>
# (default /tmp/plinth-services), listens on 127.0.0.1 only, and is
# throw-away: it exists for tests, never for real data.

PLINTH_SERVICES_DIR="${PLINTH_SERVICES_DIR:-/tmp/plinth-services}"

# die MESSAGE: one clear line on stderr, exit 1.
die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# service_dir NAME: creates and prints the state folder of service NAME.
# The folders are world-traversable so that a service started as another
# OS user (postgres refuses to run as root) can reach its own folder.
service_dir() {
  local dir="$PLINTH_SERVICES_DIR/$1"
  mkdir -p "$dir" || die "cannot create $dir"
  chmod 755 "$PLINTH_SERVICES_DIR" "$dir" 2>/dev/null || true
  echo "$dir"
}

# run_as USER CMD...: runs CMD as USER when we are root, else as ourselves.
run_as() {
  local user="$1"
  shift
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u "$user" -- "$@")
  else
    "$@"
  fi
}

# with_lock FILE CMD...: runs CMD holding an exclusive lock on FILE, so two
# test runners starting the same service at once do not race. A daemon
# started under the lock must be started with `9>&-`, or it inherits the
# lock and holds it for its whole life.
with_lock() {
  local file="$1"
  shift
  (
    flock -w 120 9 || die "timed out waiting for lock $file"
    "$@"
  ) 9>"$file"
}
