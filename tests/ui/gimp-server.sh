# Sourced by the tests that drive a real GIMP window, after they set
# PLUGIN (the plug-in binary), CLIENT (sf-client) and LAST_VALUES (JSON),
# and optionally HELP_PAGE (the built help page): a fresh profile under a
# temporary $WORK with the plug-in (and its help, as install-user.sh puts
# it beside the plug-in, for GIMP to register when it starts) and those last
# values in it, GIMP started with its Script-Fu server, and sf COMMAND
# sending one command to it.  Needs DISPLAY (xvfb-run).  The caller's EXIT
# trap must call se_gimp_server_stop.
PORT=$((20000 + $$ % 20000))
WORK=$(mktemp -d)
GIMP_PID=""
se_gimp_server_stop() {
  # its plug-ins (Script-Fu) first: killed alone, GIMP leaves them behind
  if [ -n "$GIMP_PID" ]; then pkill -P "$GIMP_PID" 2>/dev/null || true; kill "$GIMP_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
fail() { echo "FAIL: $*" >&2; exit 1; }
sf() { "$CLIENT" "$PORT" "$1"; }

# the profile with the plug-in, as the batch tests make it; then its last values
. "$(dirname "$0")/../gimp/gimp-profile.sh"
se_gimp_profile "$WORK" "$PLUGIN"
PROFILE="$HOME/.config/GIMP/2.10"
if [ -n "${HELP_PAGE:-}" ]; then
  mkdir -p "$PROFILE/plug-ins/semantic-edit/help/en"
  cp "$HELP_PAGE" "$(dirname "$0")/../../ui/help/gimp-help.xml" "$PROFILE/plug-ins/semantic-edit/help/en/"
fi
printf '%s\n' "$LAST_VALUES" > "$PROFILE/semantic-edit.json"
rm -rf "$PROFILE/backups"

gimp -d -f -s -b "(plug-in-script-fu-server 1 \"127.0.0.1\" $PORT \"\")" >"$WORK/gimp.log" 2>&1 &
GIMP_PID=$!
i=0
until sf '(gimp-version)' >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 240 ] || fail "GIMP's Script-Fu server did not start"; sleep 0.5
done

. "$(dirname "$0")/wait-filter.sh"
