# Sourced by the GIMP 3 tests that drive a real GIMP 3 window (the twin of
# tests/ui/gimp-server.sh), after they set PLUGIN (the plug-in binary),
# CLIENT (sf-client) and LAST_VALUES (the dialog's semantic-edit.json):
# a fresh GIMP 3 profile with the plug-in (gimp3-profile.sh) and those
# last values, GIMP 3 started with its Script-Fu server, and sf COMMAND
# sending one command to it.  With HELP_PAGE set (the built help page) the
# plug-in's help goes beside it, as a per-user install puts it.  Needs DISPLAY (xvfb-run).  The caller's EXIT
# trap must call se_gimp3_server_stop.
PORT=$((20000 + $$ % 20000))
GIMP_PID=""
. "$(dirname "$0")/gimp3-profile.sh"
se_gimp3_test_start "$PLUGIN"
WORK=$work
se_gimp3_server_stop() {
  # its plug-ins (Script-Fu) first: killed alone, GIMP leaves them behind
  if [ -n "$GIMP_PID" ]; then pkill -P "$GIMP_PID" 2>/dev/null || true; kill "$GIMP_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
fail() { echo "FAIL: $*" >&2; [ ! -f "$WORK/gimp.log" ] || sed 's/^/# gimp: /' "$WORK/gimp.log" >&2; exit 1; }
sf() { "$CLIENT" "$PORT" "$1"; }
PROFILE="$HOME/.config/GIMP/3.0"
if [ -n "${HELP_PAGE:-}" ]; then
  mkdir -p "$PROFILE/plug-ins/semantic-edit/help/en"
  cp "$HELP_PAGE" "$(dirname "$0")/../../ui/help/gimp-help.xml" "$PROFILE/plug-ins/semantic-edit/help/en/"
fi
printf '%s\n' "$LAST_VALUES" > "$PROFILE/semantic-edit.json"

gimp-3.0 -d -f -s --batch-interpreter=plug-in-script-fu-eval \
  -b "(plug-in-script-fu-server #:run-mode RUN-NONINTERACTIVE #:ip \"127.0.0.1\" #:port $PORT #:logfile \"\")" \
  >"$WORK/gimp.log" 2>&1 &
GIMP_PID=$!
i=0
until sf '(gimp-version)' >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 240 ] || fail "GIMP 3's Script-Fu server did not start"; sleep 0.5
done

. "$(dirname "$0")/../ui/wait-filter.sh"
