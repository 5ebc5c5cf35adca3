#!/usr/bin/env bash
# A program that hands its request to an already running instance of itself
# (as browsers do): when that instance is not on the uplink, via says so
# before running the program, with the way to start a separate instance;
# not when the instance runs via the same uplink, nor when none runs.
source "$(dirname "$0")/lib.sh"
setup_all

INSTANCE=$HELPERS/instance.py
mkdir "$TMP/inst" && chown "$TUSER" "$TMP/inst"
SOCK=$TMP/inst/sock

# wait_ready LOG: the instance started by the test listens.
wait_ready() {
    for _ in $(seq 200); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}

# (Stopped once it listens, however slow this machine: exec keeps its pid
# from nsenter to the program.)
as_user "$VIA" "$UP1" -- "$INSTANCE" "$SOCK.none" >"$TMP/none.log" 2>&1 &
none=$!
check "(the instance started)" wait_ready "$TMP/none.log"
kill "$none"
wait "$none" 2>/dev/null || true
expect_eq "no note when no other instance runs" "" "$(grep 'via: note' "$TMP/none.log" || true)"

# An instance started without via.
as_user "$INSTANCE" "$SOCK" >"$TMP/first.log" 2>&1 &
first=$!
check "the first instance runs, outside via" wait_ready "$TMP/first.log"
pid=$(pgrep -u "$TUSER" -f "instance.py $SOCK\$" | head -n1)

out=$(as_user "$VIA" "$UP1" -- "$INSTANCE" "$SOCK" https://example.test/ 2>&1)
expect_contains "the second one hands its request over" "handed to the running instance" "$out"
expect_contains "and via said so before" \
    "via: note: instance.py already runs (pid $pid), not via $UP1: it may take this request and send it by its own route" \
    "$out"
expect_contains "with what to do" "hint: quit it first, or start this one with a profile or socket of its own" "$out"
# (as_user runs in a subshell: the instance's pid is not $!)
kill "$pid"
wait "$first" 2>/dev/null || true

# An instance started via the same uplink: nothing to say.
rm -f "$SOCK"
as_user "$VIA" "$UP1" -- "$INSTANCE" "$SOCK" >"$TMP/second.log" 2>&1 &
second=$!
check "an instance runs via $UP1" wait_ready "$TMP/second.log"
out=$(as_user "$VIA" "$UP1" -- "$INSTANCE" "$SOCK" https://example.test/ 2>&1)
expect_contains "the request is handed over" "handed to the running instance" "$out"
expect_eq "no note: the running instance is on $UP1 too" "" "$(grep 'via: note' <<<"$out" || true)"
out=$(as_user "$VIA" "$UP2" --gateway 10.77.2.1 -- "$INSTANCE" "$SOCK" https://example.test/ 2>&1)
expect_contains "a launch via $UP2 is told of the instance on $UP1" "not via $UP2" "$out"
pkill -u "$TUSER" -f "instance.py $SOCK\$"
wait "$second" 2>/dev/null || true

finish
