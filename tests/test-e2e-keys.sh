#!/usr/bin/env bash
# End to end over loopback: access keys with limits. A key that expires
# in 2 s lets a client join, closes its running ping when it expires,
# then refuses with the reason; a one-time key (--uses 1) lets in the
# first client and refuses a second one (another config dir, another
# client key) with "already used"; a disabled key closes its ping at
# once and refuses until enabled; labels show in `pierd key list` and
# its --json; the same through `pier key` as an admin; the audit log
# has each change. Prints TAP. Builds nothing: the programs come from
# $PIER_BUILD_ROOT.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init keys
state=$tmp/state
log=$tmp/pierd.log
port=$(free_port)
pids=()

"$pierd" --state-dir "$state" --listen "127.0.0.1:$port" --log-level debug \
	>>"$log" 2>&1 &
pid=$!
check "pierd starts" wait_for 10 grep -q " ready: " "$log"
admin=$("$pierd" key show --state-dir "$state" 2>/dev/null)
out=$(PIER_CONFIG_DIR=$tmp/admin "$pier" join "$admin" --name n 2>&1)
check "the admin client joins" eval 'has "$out" "joined n"'
A() { PIER_CONFIG_DIR=$tmp/admin "$pier" "$@"; }

# Expiry: in before, the live ping closed at the expiry, refused after.
k=$("$pierd" key create --state-dir "$state" --role viewer --name soon \
	--expires 2s --label team=web 2>"$tmp/err"); rc=$?
out="$k $(cat "$tmp/err")"
check "pierd key create --expires 2s prints a join key and says when" \
	eval '[ $rc -eq 0 ] && has "$k" "^pier1" && has "$out" "created viewer key soon, expires 20"'
out=$(PIER_CONFIG_DIR=$tmp/c1 "$pier" join "$k" --name n 2>&1); rc=$?
check "a client joins with it before it expires" eval '[ $rc -eq 0 ]'
PIER_CONFIG_DIR=$tmp/c1 "$pier" ping n -c 1000 -i 0.1 >"$tmp/ping1" 2>&1 &
ppid=$!
wait_for 10 eval 'grep -qs "seq=1 " "$tmp/ping1" || ! kill -0 $ppid 2>/dev/null'
wait $ppid; rc=$?
out=$(cat "$tmp/ping1")
check "its running ping is closed when the key expires, with the reason" \
	eval '[ $rc -ne 0 ] && has "$out" "seq=1 " && has "$out" "node closed the connection: access key soon expired at 20[0-9-]*T[0-9:]*Z$"'
out=$(PIER_CONFIG_DIR=$tmp/c1b "$pier" join "$k" 2>&1); rc=$?
check "after the expiry pier join is refused with the reason" \
	eval '[ $rc -ne 0 ] && has "$out" "access key soon expired at 20"'
check "the node logs the refusal" \
	grep -q "(key soon) refused: access key soon expired at" "$log"

# One-time key: the first client key is bound, a second is refused.
once=$("$pierd" key create --state-dir "$state" --role viewer --name once \
	--uses 1 2>/dev/null)
out=$(PIER_CONFIG_DIR=$tmp/c2 "$pier" join "$once" --name n 2>&1); rc=$?
check "the first client joins with a one-time key" eval '[ $rc -eq 0 ]'
fp2=$(PIER_CONFIG_DIR=$tmp/c2 "$pier" key self 2>/dev/null)
out=$(PIER_CONFIG_DIR=$tmp/c3 "$pier" join "$once" 2>&1); rc=$?
check "a second client is refused: already used by the first" \
	eval '[ $rc -ne 0 ] && has "$out" "access key once was already used by client $fp2"'
out=$(PIER_CONFIG_DIR=$tmp/c2 "$pier" ping n -c 1 2>&1); rc=$?
check "the bound client keeps coming in" eval '[ $rc -eq 0 ]'
out=$("$pierd" key list --state-dir "$state" 2>&1)
check "pierd key list shows expiry, uses, state and labels" \
	eval 'has "$out" "^NAME .*EXPIRES *USES *STATE *LABELS" && has "$out" "^soon .* 20[0-9-]*T[0-9:]*Z *any *expired *team=web$" && has "$out" "^once .* never *1/1 *enabled *-$"'
out=$("$pierd" key list --json --state-dir "$state" 2>&1)
check "pierd key list --json has them too" \
	eval 'python3 -c "
import json,sys; d={k[\"name\"]: k for k in json.loads(sys.argv[1])}
assert d[\"soon\"][\"state\"]==\"expired\" and d[\"soon\"][\"labels\"]=={\"team\":\"web\"} and d[\"soon\"][\"expires\"]>0
assert d[\"once\"][\"uses\"]==1 and d[\"once\"][\"used_by\"]==[sys.argv[2]]" "$out" "$fp2"'

# Disable closes a live ping at once; enable lets in again.
"$pierd" key create --state-dir "$state" --role viewer --name ci \
	--label env=ci --label owner=ops >"$tmp/ci" 2>/dev/null
out=$(PIER_CONFIG_DIR=$tmp/c4 "$pier" join "$(cat "$tmp/ci")" --name n 2>&1)
PIER_CONFIG_DIR=$tmp/c4 "$pier" ping n -c 1000 -i 0.1 >"$tmp/ping4" 2>&1 &
ppid=$!
wait_for 10 eval 'grep -qs "seq=1 " "$tmp/ping4" || ! kill -0 $ppid 2>/dev/null'
out=$("$pierd" key disable ci --state-dir "$state" 2>&1); rc=$?
check "pierd key disable" eval '[ $rc -eq 0 ] && has "$out" "disabled ci"'
wait $ppid; rc=$?
out=$(cat "$tmp/ping4")
check "disabling closes the key's running ping with the reason" \
	eval '[ $rc -ne 0 ] && has "$out" "node closed the connection: access key ci is disabled$"'
out=$(PIER_CONFIG_DIR=$tmp/c4 "$pier" ping n -c 1 2>&1); rc=$?
check "a disabled key is refused with the reason" \
	eval '[ $rc -ne 0 ] && has "$out" "access key ci is disabled"'
out=$("$pierd" key enable ci --state-dir "$state" 2>&1); rc=$?
out=$(PIER_CONFIG_DIR=$tmp/c4 "$pier" ping n -c 1 2>&1); rc=$?
check "enabled again, it lets in" eval '[ $rc -eq 0 ]'
out=$("$pierd" key disable ci --state-dir "$state" 2>&1)
out=$(PIER_CONFIG_DIR=$tmp/c4 "$pier" ping n -c 1 2>&1); rc=$?
check "a key disabled a moment ago is refused (before the file watch fires)" \
	eval '[ $rc -ne 0 ] && has "$out" "access key ci is disabled"'
"$pierd" key enable ci --state-dir "$state" 2>/dev/null

# The same through pier key, as an admin.
k5=$(A key create --name p5 --role viewer --expires 1h --uses 1 \
	--label team=db 2>/dev/null); rc=$?
out=$k5
check "pier key create --expires --uses --label" \
	eval '[ $rc -eq 0 ] && has "$k5" "^pier1"'
out=$(A key list 2>&1)
check "pier key list shows the limits" \
	eval 'has "$out" "EXPIRES *USES *STATE *LABELS" && has "$out" "^p5 .* 0/1 *enabled *team=db" && has "$out" "^ci .*env=ci,owner=ops"'
out=$(A key list --json 2>&1)
check "pier key list --json" \
	eval 'python3 -c "
import json,sys; d={k[\"name\"]: k for k in json.loads(sys.argv[1])}
assert d[\"p5\"][\"uses\"]==1 and d[\"p5\"][\"labels\"]=={\"team\":\"db\"} and d[\"p5\"][\"expires\"]>0" "$out"'
out=$(PIER_CONFIG_DIR=$tmp/c5 "$pier" join "$k5" --name n 2>&1)
PIER_CONFIG_DIR=$tmp/c5 "$pier" ping n -c 1000 -i 0.1 >"$tmp/ping5" 2>&1 &
ppid=$!
wait_for 10 eval 'grep -qs "seq=1 " "$tmp/ping5" || ! kill -0 $ppid 2>/dev/null'
out=$(A key disable p5 2>&1); rc=$?
check "pier key disable" \
	eval '[ $rc -eq 0 ] && has "$out" "Disabled access key p5"'
wait $ppid; rc=$?
out=$(cat "$tmp/ping5")
check "... closes the key's running ping with the reason" \
	eval '[ $rc -ne 0 ] && has "$out" "access key p5 is disabled$"'
out=$(A key enable p5 2>&1); rc=$?
check "pier key enable" eval '[ $rc -eq 0 ] && has "$out" "Enabled access key p5"'
out=$(A key disable admin 2>&1); rc=$?
check "the last admin key cannot be disabled through pier" \
	eval '[ $rc -ne 0 ] && has "$out" "last admin key"'
out=$(A key create --name bad --role viewer --expires 7days 2>&1); rc=$?
check "a bad expiry is refused with the forms it takes" \
	eval '[ $rc -ne 0 ] && has "$out" "90m, 12h, 7d, 2w"'
out=$(cat "$state/audit.log")
check "the audit log has each change" \
	eval 'has "$out" "\"method\":\"key.disable\",\"target\":\"ci\",\"outcome\":\"ok\"" && has "$out" "\"method\":\"key.enable\",\"target\":\"ci\"" && has "$out" "\"method\":\"key.disable\",\"target\":\"p5\",\"outcome\":\"ok\"" && has "$out" "\"method\":\"key.enable\",\"target\":\"p5\""'

kill -TERM "$pid"
wait "$pid"; rc=$?
pid=
check "pierd stops cleanly" eval '[ $rc -eq 0 ] && ! grep -q Sanitizer "$log"'
e2e_done
