#!/usr/bin/env bash
# End to end across NAT, in network namespaces (tests/nat-lib.sh): a node
# on host-a behind one symmetric NAT, a client on host-b behind another,
# a relay on the public host. Nothing can connect to the node or the
# client; the node's own join key (its LAN address and its relay) is all
# the client gets. The relay cases of relay-cases.sh run there: join, ps,
# 64 MiB of exec output, doctor's path, a wrong key's silence, hostile
# splice requests, a shell across a relay restart. Then join and ping
# through the relay across three more pairs of routers (cone and
# symmetric, WAN input drop, reject and open). Needs root; otherwise a
# TAP skip. Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
. "$(dirname "$0")/relay-cases.sh"
. "$(dirname "$0")/nat-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root for ip netns"; exit 0; }
command -v iptables >/dev/null || { echo "1..0 # SKIP no iptables"; exit 0; }
relay_init nat
cleanup_more() {
	relay_cleanup
	nat_down
}

if ! nat_up -a symmetric -b symmetric 2>"$tmp/nat.err"; then
	echo "1..0 # SKIP cannot build the NAT topology: $(head -1 "$tmp/nat.err")"
	exit 0
fi
ON_RELAY="ip netns exec $(nat_ns pub)"
ON_NODE="ip netns exec $(nat_ns host-a)"
ON_CLIENT="ip netns exec $(nat_ns host-b)"
relay_listen=$NAT_PUB:7437
relay_addr=$NAT_PUB:7437
node_listen=0.0.0.0:7437
client_key_hints=

# Facts first: nobody reaches the node or the client unsolicited.
out=$(nat_exec host-b python3 -c '
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect((sys.argv[1], 7437)); print("reached")
except OSError as e:
    print("no way:", e)' "$NAT_A_WAN" 2>&1)
check "the node's router lets nothing in unsolicited" has "$out" "^no way"

# The node's key names its LAN address too: a candidate that fails here.
relay_more_cases() {
	out=$(C doctor n1 --json 2>/dev/null)
	check "doctor lists the node's LAN address as a failed direct candidate" \
		python3 -c 'import json,sys
j = json.loads(sys.argv[1])
c = [x for x in j["candidates"] if x["path"] == "direct"]
sys.exit(0 if c and not any(x["ok"] for x in c) and
    any(x["address"].startswith(sys.argv[2]) for x in c) else 1)' \
		"$out" "$NAT_HOST_A:"
}

relay_cases

# The relay across other routers: it needs nothing from a NAT but
# outbound TCP, whatever the mapping and the WAN input policy.
# combo A B: a fresh topology, relay, node and client; join and ping.
combo() {
	local d=$tmp/combo-$1-$2 rk k p1 p2 out
	tmux -L "$sock" kill-server 2>/dev/null
	for p1 in "${pids[@]}"; do
		kill "$p1" 2>/dev/null && wait "$p1" 2>/dev/null
	done
	pids=()
	nat_down
	if ! nat_up -a "$1" -b "$2" 2>"$tmp/nat.err"; then
		not_ok "NAT A $1, NAT B $2: the topology" "$(cat "$tmp/nat.err")"
		return
	fi
	nat_exec pub "$pierd" --state-dir "$d/relay" --listen "$NAT_PUB:7437" \
		>"$d.relay.log" 2>&1 &
	p1=$!
	wait_for 5 grep -qs ' ready: ' "$d.relay.log"
	rk=$("$pierd" key create --role relay --name n --state-dir \
		"$d/relay" --listen "$NAT_PUB:7437" | grep '^pier1')
	"$pierd" relay add "$rk" --state-dir "$d/node" >/dev/null
	nat_exec host-a "$pierd" --state-dir "$d/node" --listen 0.0.0.0:7437 \
		>"$d.node.log" 2>&1 &
	p2=$!
	pids+=("$p1" "$p2")
	wait_for 15 eval '"$pierd" relay ls --state-dir "$d/node" | grep -q " up$"'
	k=$(nat_exec host-a "$pierd" key show --state-dir "$d/node")
	out=$(nat_exec host-b env PIER_CONFIG_DIR="$d/client" "$pier" join \
		"$k" --name c 2>&1; nat_exec host-b env \
		PIER_CONFIG_DIR="$d/client" "$pier" ping c -c 2 -i 0.05 2>&1)
	check "NAT A $1, NAT B $2: the client reaches the node through the relay" \
		eval 'has "$out" "joined c: .* at relay+" && has "$out" "2 sent, 2 received"'
}
combo cone cone:open
combo cone:reject symmetric
combo symmetric:open cone
e2e_done
