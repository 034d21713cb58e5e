#!/usr/bin/env bash
# End to end over loopback: a pierd on 127.0.0.1 with a fresh state dir,
# then `pierd key show` -> `pier join` -> `pier nodes` -> `pier ping`, a
# second key, typos, a key of another node, revocation of a connected
# key (ping gives the node's reason), a node shutting down under a ping,
# a restart that keeps identity and keys, a private key others can
# read, and `pierd key rotate` without --yes. Prints TAP. Builds nothing:
# the programs come from $PIER_BUILD_ROOT.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init join
state=$tmp/state
log=$tmp/pierd.log
pid=
ms() { date +%s%3N; }

# start_node: runs pierd in the background and waits for its "ready"
# (a new one: the log may hold an earlier run's).
start_node() {
	local seen
	: >>"$log"
	seen=$(grep -c ' ready: ' "$log")
	"$pierd" --state-dir "$state" --listen "127.0.0.1:$port" \
		--listen "[::1]:$port" --log-level debug >>"$log" 2>&1 &
	pid=$!
	wait_for 5 eval '[ "$(grep -c " ready: " "$log")" -gt "${seen:-0}" ] ||
		! kill -0 "$pid" 2>/dev/null' && kill -0 "$pid" 2>/dev/null
}

# stop_node: SIGTERM, and the exit status must be 0 (clean shutdown).
stop_node() {
	kill -TERM "$pid"
	wait "$pid"
	local rc=$?
	pid=
	return $rc
}

c1=$tmp/client1
c2=$tmp/client2
port=$(free_port)

check "pierd starts and logs its node key and address" start_node
out=$(cat "$log")
check "the log names the node key, the address and the admin join key" \
	eval 'has "$out" "node key " && has "$out" "listening on 127.0.0.1:$port" && has "$out" "join with: pier join pier1"'

key=$("$pierd" key show --state-dir "$state" 2>"$tmp/err"); rc=$?
out="$key $(cat "$tmp/err")"
check "pierd key show prints one join key alone, with the bound address" \
	eval '[ $rc -eq 0 ] && [ $(wc -l <<<"$key") -eq 1 ] && has "$key" "^pier1" && has "$key" "127.0.0.1:$port"'
fp=$(grep -o 'node key [a-z0-9-]*' "$log" | head -1 | cut -d' ' -f3)

out=$(PIER_CONFIG_DIR=$c1 "$pier" join "$key" --name n1 2>&1); rc=$?
check "pier join stores the node and says what it joined" \
	eval '[ $rc -eq 0 ] && has "$out" "joined n1" && has "$out" "$fp" && has "$out" "127.0.0.1:$port"'
check "the address book is private (0600 in a 0700 dir)" \
	eval '[ "$(stat -c %a "$c1/nodes.json")" = 600 ] && [ "$(stat -c %a "$c1")" = 700 ] && [ "$(stat -c %a "$c1/client.key")" = 600 ]'

out=$(PIER_CONFIG_DIR=$c1 "$pier" nodes 2>&1); rc=$?
check "pier nodes lists it" \
	eval '[ $rc -eq 0 ] && has "$out" "^NAME *ADDRESS *FINGERPRINT *ROLE *JOINED" && has "$out" "^n1 .*127.0.0.1:$port .*$fp  *admin "'
out=$(PIER_CONFIG_DIR=$c1 "$pier" nodes --json 2>&1); rc=$?
check "pier nodes --json is JSON without secrets, with the key's role" \
	eval '[ $rc -eq 0 ] && python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d[0][\"name\"]==\"n1\" and \"key\" not in d[0] and d[0][\"role\"]==\"admin\"" "$out"'

out=$(PIER_CONFIG_DIR=$c1 "$pier" ping n1 -c 3 -i 0.05 2>&1); rc=$?
check "pier ping prints the connect time and round-trip times" \
	eval '[ $rc -eq 0 ] && has "$out" "^connected to n1 (127.0.0.1:$port) in [0-9.]* ms" && has "$out" "seq=3 time=[0-9.]* ms" && has "$out" "3 sent, 3 received"'
out=$(PIER_CONFIG_DIR=$c1 "$pier" ping -c 1 --json 2>&1); rc=$?
check "pier ping with one node joined needs no name; --json" \
	eval '[ $rc -eq 0 ] && python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d[\"received\"]==1 and len(d[\"rtt_ms\"])==1 and d[\"connect_ms\"]>0" "$out"'

key2=$("$pierd" key create --state-dir "$state" --role viewer --name v1 2>/dev/null); rc=$?
out=$key2
check "pierd key create prints a new join key alone" \
	eval '[ $rc -eq 0 ] && [ $(wc -l <<<"$key2") -eq 1 ] && has "$key2" "^pier1" && [ "$key2" != "$key" ]'
out=$(PIER_CONFIG_DIR=$c2 "$pier" join "$key2" 2>&1); rc=$?
check "a second client joins with the second key (default name)" \
	eval '[ $rc -eq 0 ] && has "$out" "joined 127.0.0.1-$port"'
out=$("$pierd" key list --state-dir "$state" 2>&1)
check "pierd key list shows both keys and no secret" \
	eval 'has "$out" "^NAME *ROLE *ID *CREATED *LAST USED" && has "$out" "^admin *admin" && has "$out" "^v1 *viewer" && ! has "$out" "${key2:5:20}"'
check "the admin key's last use is recorded" \
	eval '! grep -q "^admin .*never$" <<<"$out" && has "$out" "^admin .*Z *20[0-9-]*T"'
out=$("$pierd" key list --json --state-dir "$state" 2>&1)
check "pierd key list --json" \
	eval 'python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert sorted(k[\"name\"] for k in d)==[\"admin\",\"v1\"] and \"secret\" not in d[0]" "$out"'

# A typo: change one character in the middle of the key.
mid=$(( ${#key} / 2 ))
c=${key:$mid:1}; [ "$c" = a ] && r=b || r=a
typo="${key:0:$mid}$r${key:$((mid + 1))}"
out=$(PIER_CONFIG_DIR=$tmp/client3 "$pier" join "$typo" 2>&1); rc=$?
check "a mistyped key gives the checksum message" \
	eval '[ $rc -eq 1 ] && has "$out" "checksum"'
out=$(PIER_CONFIG_DIR=$tmp/client3 "$pier" join "not-a-key" 2>&1); rc=$?
check "text that is no join key says so" \
	eval '[ $rc -eq 1 ] && has "$out" "not a Pier join key"'

# Another node's key (valid checksum) aimed at this node's port.
other=$("$pierd" key show --state-dir "$tmp/other" --listen "127.0.0.1:$port" 2>/dev/null)
t0=$(ms)
out=$(PIER_CONFIG_DIR=$tmp/client3 "$pier" join "$other" 2>&1); rc=$?
dt=$(( $(ms) - t0 ))
check "another node's key fails within 3 s with the message (${dt} ms)" \
	eval '[ $rc -eq 1 ] && [ $dt -lt 4500 ] && has "$out" "no answer from 127.0.0.1:$port within 3s: the node is down, unreachable, or the join key is wrong or revoked"'
check "a failed join stores nothing" \
	eval '! grep -q "\"name\"" "$tmp/client3/nodes.json" 2>/dev/null'

# Several hints: a dead one first, the live one wins; --addr comes first.
key3=$("$pierd" key create --state-dir "$state" --role operator --name multi \
	--listen 127.0.0.1:1 --listen "127.0.0.1:$port" 2>/dev/null)
out=$(PIER_CONFIG_DIR=$tmp/client4 "$pier" join "$key3" --name m 2>&1); rc=$?
check "with a dead hint first, the live hint wins" \
	eval '[ $rc -eq 0 ] && has "$out" "joined m: .* at 127.0.0.1:$port"'
key4=$("$pierd" key create --state-dir "$state" --role viewer --name dead \
	--listen 127.0.0.1:1 2>/dev/null)
out=$(PIER_CONFIG_DIR=$tmp/client5 "$pier" join "$key4" \
	--addr "127.0.0.1:$port" --name d 2>&1); rc=$?
check "--addr reaches a node whose key has only a dead hint" \
	eval '[ $rc -eq 0 ] && has "$out" "joined d: .* at 127.0.0.1:$port"'
out=$(PIER_CONFIG_DIR=$tmp/client5 "$pier" ping d -c 1 2>&1); rc=$?
check "... and the book keeps that address for later" eval '[ $rc -eq 0 ]'

# IPv6: a key whose only hint is [::1] (when this host has IPv6).
if grep -q "listening on \[::1\]:$port" "$log"; then
	key6=$("$pierd" key create --state-dir "$state" --role viewer \
		--name six --listen "[::1]:$port" 2>/dev/null)
	out=$(PIER_CONFIG_DIR=$tmp/client7 "$pier" join "$key6" --name six \
		--json 2>&1); rc=$?
	check "join over IPv6, --json says where" \
		eval '[ $rc -eq 0 ] && python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d[\"name\"]==\"six\" and d[\"address\"]==\"[::1]:$port\"" "$out"'
else
	n=$((n + 1)); echo "ok $n - join over IPv6 # SKIP no IPv6 loopback"
fi

# A damaged address book is reported and left alone.
mkdir -p "$tmp/client6"
echo '{"nodes": [garbage' >"$tmp/client6/nodes.json"
out=$(PIER_CONFIG_DIR=$tmp/client6 "$pier" join "$key3" 2>&1); rc=$?
check "a damaged address book is reported, not overwritten" \
	eval '[ $rc -eq 1 ] && has "$out" "cannot read the address book" && [ "$(cat "$tmp/client6/nodes.json")" = "{\"nodes\": [garbage" ]'
out=$(PIER_CONFIG_DIR=$tmp/client6 "$pier" nodes rm x 2>&1); rc=$?
check "pier nodes rm on a damaged book fails too" eval '[ $rc -eq 1 ]'
out=$(PIER_CONFIG_DIR=$c1 "$pier" nodes rm nosuch 2>&1); rc=$?
check "pier nodes rm of an unknown name fails with a reason" \
	eval '[ $rc -eq 1 ] && has "$out" "no node named nosuch"'

# Revocation while connected: v1's ping runs, the key is revoked.
PIER_CONFIG_DIR=$c2 "$pier" ping -c 100 -i 0.1 >"$tmp/ping2" 2>&1 &
ppid=$!
wait_for 10 eval 'grep -qs "seq=1 " "$tmp/ping2" || ! kill -0 $ppid 2>/dev/null'
"$pierd" key revoke v1 --state-dir "$state" 2>/dev/null
t0=$(ms)
wait $ppid; rc=$?
dt=$(( $(ms) - t0 ))
out=$(cat "$tmp/ping2")
check "revoking a key closes its connection, and ping gives the node's reason (${dt} ms)" \
	eval '[ $rc -ne 0 ] && [ $dt -lt 3000 ] && has "$out" "seq=1 " && has "$out" "^pier ping: 127.0.0.1-$port: node closed the connection: access key v1 was revoked$"'
check "the node logs the revocation" \
	eval 'grep -q "access key v1 revoked; closed 1 connection" "$log"'
t0=$(ms)
out=$(PIER_CONFIG_DIR=$c2 "$pier" ping -c 1 2>&1); rc=$?
dt=$(( $(ms) - t0 ))
check "a revoked key fails within 3 s with the message (${dt} ms)" \
	eval '[ $rc -ne 0 ] && [ $dt -lt 4500 ] && has "$out" "no answer from .* within 3s"'
out=$(PIER_CONFIG_DIR=$c1 "$pier" ping n1 -c 1 2>&1); rc=$?
check "the admin key still works after the revocation" eval '[ $rc -eq 0 ]'

# Restart: same identity, same keys.
check "SIGTERM stops pierd cleanly (exit 0)" stop_node
out=$(cat "$log")
check "the log says it stopped and shows no sanitizer report" \
	eval 'has "$out" " stopped" && ! has "$out" "Sanitizer"'
: >"$log"
check "pierd starts again" start_node
out=$(cat "$log")
check "the restarted node has the same key and creates no new admin key" \
	eval 'has "$out" "node key $fp" && ! has "$out" "join with"'
out=$(PIER_CONFIG_DIR=$c1 "$pier" ping n1 -c 1 2>&1); rc=$?
check "the first client pings the restarted node without joining again" \
	eval '[ $rc -eq 0 ]'
out=$("$pierd" key show --state-dir "$state" 2>&1)
check "pierd key show gives the same key after the restart" \
	eval '[ "$out" = "$key" ]'
kill -HUP "$pid"
wait_for 2 grep -q "SIGHUP" "$log"
out=$(PIER_CONFIG_DIR=$c1 "$pier" ping n1 -c 1 2>&1); rc=$?
check "SIGHUP re-reads the keys and the node keeps serving" \
	eval '[ $rc -eq 0 ] && grep -q "SIGHUP: re-reading keys" "$log"'

# A node that stops under a running ping: the client says why.
PIER_CONFIG_DIR=$c1 "$pier" ping n1 -c 100 -i 0.1 >"$tmp/ping-stop" 2>&1 &
ppid=$!
wait_for 10 eval 'grep -qs "seq=1 " "$tmp/ping-stop" || ! kill -0 $ppid 2>/dev/null'
stop_node
wait $ppid; rc=$?
out=$(cat "$tmp/ping-stop")
check "a node shutting down under pier ping: the node's reason, exit 1" \
	eval '[ $rc -eq 1 ] && has "$out" "seq=1 " && has "$out" "^pier ping: n1: node closed the connection: node shutting down$"'
check "pierd starts again after that" start_node

out=$("$pierd" --state-dir "$tmp/other" --listen "127.0.0.1:$port" 2>&1); rc=$?
check "a second pierd on a port in use fails and says why" \
	eval '[ $rc -eq 1 ] && has "$out" "cannot listen on 127.0.0.1:$port: address already in use"'
stop_node

# A private key that others can read: refuse, and say how to fix it.
chmod 644 "$state/node.key"
out=$("$pierd" --state-dir "$state" --listen "127.0.0.1:$port" 2>&1); rc=$?
check "pierd refuses a node key readable by others, with the fix" \
	eval '[ $rc -eq 1 ] && has "$out" "chmod 600"'
chmod 600 "$state/node.key"

out=$("$pierd" key rotate --state-dir "$state" 2>&1); rc=$?
check "pierd key rotate without --yes refuses and explains" \
	eval '[ $rc -eq 1 ] && has "$out" "invalid" && has "$out" "--yes"'
out=$("$pierd" key show --state-dir "$state" 2>&1)
check "... and the identity is unchanged" eval '[ "$out" = "$key" ]'
"$pierd" key rotate --yes --state-dir "$state" 2>/dev/null; rc=$?
out=$("$pierd" key show --state-dir "$state" 2>&1)
check "pierd key rotate --yes makes a new identity" \
	eval '[ $rc -eq 0 ] && [ "$out" != "$key" ] && has "$out" "^pier1"'

# Usage errors exit 2; --help exits 0.
"$pierd" key create --state-dir "$state" --name x >/dev/null 2>&1; rc=$?
check "pierd key create without --role is a usage error (2)" eval '[ $rc -eq 2 ]'
"$pier" join >/dev/null 2>&1; rc=$?
check "pier join without a key is a usage error (2)" eval '[ $rc -eq 2 ]'
"$pierd" --bogus >/dev/null 2>&1; rc=$?
check "pierd with an unknown option is a usage error (2)" eval '[ $rc -eq 2 ]'
all=0
for c in "key show" "key create" "key list" "key revoke" "key rotate"; do
	"$pierd" $c --help >/dev/null 2>&1 || all=1
done
for c in join nodes ping help version; do
	"$pier" $c --help | grep -q "^usage: pier $c" || all=1
done
"$pierd" --help | grep -q '^usage: pierd' || all=1
check "every command has --help" eval '[ $all -eq 0 ]'
out=$(PIER_CONFIG_DIR=$c1 "$pier" nodes rm n1 2>&1); rc=$?
check "pier nodes rm forgets a node" \
	eval '[ $rc -eq 0 ] && ! PIER_CONFIG_DIR=$c1 "$pier" nodes | grep -q "^n1 "'

e2e_done
