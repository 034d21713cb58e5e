#!/usr/bin/env bash
# LAN discovery on a real (virtual) LAN: a bridge in its own namespace
# joins a node host, a client host and their router (MASQUERADE, the
# node's port forwarded from its WAN side, no hairpin). A join key
# without addresses, with one that refuses, or with the router's public
# address (which works from outside but not from the LAN) still joins,
# because the client asks the LAN and the node answers; a key of another
# node gets silence and a clear cause within the dial's time; --no-lan
# makes the node silent; garbage to the UDP port changes nothing; an
# interface that comes up later is joined; a node on IPv6 alone is found
# over link-local multicast. Needs root and `ip netns`; otherwise a skip
# with the reason. Every name carries $$, and a trap removes the
# namespaces.
set -u

. "$(dirname "$0")/e2e-lib.sh"

skip_all() { echo "1..0 # SKIP $1"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip_all "needs root for ip netns"
command -v ip >/dev/null || skip_all "no ip command (iproute2)"

e2e_init lan
tag=pl$$
nsbr=$tag-br
nsn=$tag-n
nsc=$tag-c
net=10.$(( 200 + $$ % 50 )).$(( $$ % 250 ))

nsr=$tag-r
nsp=$tag-p
wan=203.0.113

cleanup_more() {
	local ns
	for ns in "$nsn" "$nsc" "$nsr" "$nsp" "$nsbr"; do
		ip netns del "$ns" 2>/dev/null
	done
}

for ns in "$nsbr" "$nsn" "$nsc" "$nsr" "$nsp"; do
	if ! ip netns add "$ns" 2>"$tmp/err"; then
		echo "1..0 # SKIP ip netns does not work here: $(head -1 "$tmp/err")"
		exit 0
	fi
done
# The bridge is the LAN's switch; its frames must not go through the
# bridge netfilter (Docker loads br_netfilter, and new namespaces start
# with it on). Snooping off: the probes are flooded like on a dumb switch.
ip netns exec "$nsbr" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
	2>/dev/null
ip -n "$nsbr" link add br0 type bridge mcast_snooping 0
ip -n "$nsbr" link set br0 up
i=1
for ns in "$nsn" "$nsc"; do
	if ! ip link add "$ns-0" netns "$ns" type veth peer name "$ns-1" \
	    netns "$nsbr" 2>"$tmp/err"; then
		echo "1..0 # SKIP cannot make a veth pair: $(head -1 "$tmp/err")"
		exit 0
	fi
	ip -n "$nsbr" link set "$ns-1" master br0 up
	ip -n "$ns" addr add "$net.$i/24" dev "$ns-0"
	ip -n "$ns" link set "$ns-0" up
	ip -n "$ns" link set lo up
	ip -n "$ns" route add default via "$net.254"
	i=$((i + 1))
done
# The LAN's router: MASQUERADE out of its WAN side, TCP 7437 forwarded
# from the WAN to the node, no hairpin (from the LAN, its WAN address is
# the router itself, which drops the port like a stealth home router).
# A namespace on the WAN side plays a host outside.
ip link add "$nsr-l" netns "$nsr" type veth peer name "$nsr-b" netns "$nsbr"
ip -n "$nsbr" link set "$nsr-b" master br0 up
ip link add "$nsr-w" netns "$nsr" type veth peer name "$nsp-0" netns "$nsp"
ip -n "$nsr" addr add "$net.254/24" dev "$nsr-l"
ip -n "$nsr" addr add "$wan.1/24" dev "$nsr-w"
ip -n "$nsp" addr add "$wan.10/24" dev "$nsp-0"
for dev in "$nsr-l" "$nsr-w" lo; do ip -n "$nsr" link set "$dev" up; done
ip -n "$nsp" link set "$nsp-0" up
ip -n "$nsp" link set lo up
for ns in "$nsn" "$nsc" "$nsp"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=0
done
ip netns exec "$nsr" sysctl -qw net.ipv4.ip_forward=1
router=1
if ! command -v iptables >/dev/null ||
    ! ip netns exec "$nsr" iptables -t nat -A POSTROUTING -o "$nsr-w" \
    -j MASQUERADE 2>"$tmp/err" ||
    ! ip netns exec "$nsr" iptables -t nat -A PREROUTING -i "$nsr-w" \
    -p tcp --dport 7437 -j DNAT --to-destination "$net.1:7437" \
    2>>"$tmp/err" ||
    ! ip netns exec "$nsr" iptables -A INPUT -i "$nsr-l" -p tcp \
    --dport 7437 -j DROP 2>>"$tmp/err"; then
	router=0
fi

state=$tmp/state
cfg=$tmp/client
# inn CMD...: in the node's namespace; inc CMD...: the client's, as pier.
inn() { ip netns exec "$nsn" "$@"; }
inc() { PIER_CONFIG_DIR=$cfg ip netns exec "$nsc" "$pier" "$@"; }

# node [OPTION...]: pierd in the node's namespace on $listen (default
# 0.0.0.0:7437).
node() {
	: >"$tmp/log"
	# Not through inn: $pid must be pierd's own (ip netns exec execs).
	ip netns exec "$nsn" "$pierd" --state-dir "$state" \
		--listen "${listen:-0.0.0.0:7437}" \
		--docker-host "$dockerhost" "$@" >"$tmp/log" 2>&1 &
	pid=$!
	wait_for 10 grep -q ' ready: ' "$tmp/log"
}
stop_node() {
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	pid=
	out="exit $rc; $(cat "$tmp/log")"
	check "pierd stops cleanly" [ "$rc" -eq 0 ]
}

node
out=$(cat "$tmp/log")
check "the node answers LAN probes on its LAN interface" \
	wait_for 10 grep -q "LAN discovery: answering on .*$nsn-0 (IPv4)" \
	"$tmp/log"

# An interface that comes up after the node started (a second port on
# the bridge): the node's rescan (every 10 s) joins the group on it too.
# From then on the node answers from both, so a join may land on either.
ip link add "$nsn-x" netns "$nsn" type veth peer name "$nsn-y" netns "$nsbr"
ip -n "$nsbr" link set "$nsn-y" master br0 up
ip -n "$nsn" addr add "$net.9/24" dev "$nsn-x"
ip -n "$nsn" link set "$nsn-x" up

key=$(inn "$pierd" key show --state-dir "$state" --no-addr)
hinted=$(inn "$pierd" key show --state-dir "$state")
out="$key / $hinted"
check "key show --no-addr prints a key without hints" \
	eval '[ -n "$key" ] && ! has "$key" @ && has "$hinted" @'
made=$(inn "$pierd" key create --state-dir "$state" --role viewer \
	--name lan-viewer --no-addr)
out=$made
check "key create --no-addr too" eval '[ -n "$made" ] && ! has "$made" @'
inn "$pierd" key show --state-dir "$state" --no-addr --listen 1.2.3.4:5 \
	>/dev/null 2>&1
out="exit $?"
check "--no-addr with --listen is a usage error" [ "$out" = "exit 2" ]

t0=${EPOCHREALTIME/./}
out=$(inc join "$key" --name a 2>&1)
echo "# pier join over the LAN: $(since "$t0") ms"
check "a key without addresses joins the node found on the LAN" \
	has "$out" "joined a: .* at lan+$net\.[19]:7437"
out=$(inc ping a -c 3 -i 0.05 2>&1)
check "pier ping over the LAN path" has "$out" "3 sent, 3 received"
out=$(inc ps a 2>&1)
check "pier ps over the LAN path" [ $? -eq 0 ]
out=$(inc doctor a --json 2>&1)
check "pier doctor says the path is lan" \
	python3 -c 'import json,sys; j=json.loads(sys.argv[1]); sys.exit(0 if j["path"] == "lan" and any(c["path"] == "lan" and c["ok"] for c in j["candidates"]) else 1)' "$out"

# A key made while the node runs answers at once (the node re-reads its
# keys when a probe fits none and the file changed).
rm -rf "$cfg"
out=$(inc join "$made" --name v 2>&1)
check "a key created while the node runs is answered on the LAN" \
	has "$out" "joined v: "

# A hint that refuses at once: the LAN answer still wins.
stale=$(inn "$pierd" key show --state-dir "$state" --listen "$net.1:9")
rm -rf "$cfg"
t0=${EPOCHREALTIME/./}
out=$(inc join "$stale" --name b 2>&1)
echo "# pier join, refused hint then the LAN: $(since "$t0") ms"

check "a key whose only address refuses still joins through the LAN" \
	has "$out" "joined b: .* at lan+$net\.[19]:7437"

# For comparison: the key's own address answers.
rm -rf "$cfg"
t0=${EPOCHREALTIME/./}
out=$(inc join "$hinted" --name c 2>&1)
echo "# pier join at the key's address: $(since "$t0") ms"
check "a key whose address answers joins as before" \
	has "$out" "joined c: .* at $net\.[19]:7437"

# The key's only address is the router's public one, with the port
# forwarded: it works from outside, and from the LAN (no hairpin, the
# router drops it) the key joins through LAN discovery instead.
public=$(inn "$pierd" key show --state-dir "$state" --listen "$wan.1:7437")
if [ "$router" -eq 0 ]; then
	skip "behind a router without hairpin NAT" \
		"no iptables in a namespace: $(head -1 "$tmp/err")"
else
	out=$(PIER_CONFIG_DIR=$tmp/outside ip netns exec "$nsp" "$pier" \
		join "$public" --name pub 2>&1)
	check "from outside, the key joins at the router's forwarded port" \
		has "$out" "joined pub: .* at $wan.1:7437"
	rm -rf "$cfg"
	t0=${EPOCHREALTIME/./}
	out=$(inc join "$public" --name r 2>&1)
	echo "# pier join, public address dropped then the LAN:" \
		"$(since "$t0") ms"
	check "on the LAN behind a router without hairpin, it joins via the LAN" \
		has "$out" "joined r: .* at lan+$net\.[19]:7437"
fi

# Garbage, a short probe and an oversized one: silence, and no harm.
inc_udp() {
	ip netns exec "$nsc" python3 - "$net.1" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
s.sendto(bytes.fromhex(sys.argv[2]), (sys.argv[1], 7437))
try:
    s.recvfrom(2048)
    print("answered")
except socket.timeout:
    print("silent")
EOF
}
for p in 00 504c414e0101 "504c414e0101$(printf '%0120d' 0)" \
    "$(printf '%02000d' 7)"; do
	out=$(inc_udp "$p")
	check "a packet that is not a valid probe (${#p} hex digits) gets silence" \
		[ "$out" = silent ]
done

other=$(inn "$pierd" key show --state-dir "$tmp/other" --no-addr)
rm -rf "$cfg"
t0=${EPOCHREALTIME/./}
out=$(inc join "$other" --name o 2>&1)
rc=$?
ms=$(since "$t0")
check "a key of another node gets no answer: join fails" [ $rc -ne 0 ]
check "... with the LAN cause" has "$out" "no node answered on the LAN"
out="$ms ms"
check "... within the dial's time (3 s)" [ "$ms" -lt 3500 ]
out=$(grep "LAN discovery" "$tmp/log")
check "an interface that came up later is joined by the rescan" \
	wait_for 15 grep -q "LAN discovery: answering on .*$nsn-x (IPv4)" \
	"$tmp/log"
stop_node

node --no-lan
rm -rf "$cfg"
out=$(inc join "$key" --name a 2>&1)
check "with --no-lan the node is silent: the join fails" \
	has "$out" "no node answered on the LAN"
out=$(cat "$tmp/log")
check "... and logs nothing of LAN discovery" \
	eval '! grep -q "LAN discovery" "$tmp/log"'
stop_node

# IPv6 only: the IPv4 answer's address refuses, the link-local one joins.
v6ready() {
	[ -n "$(ip -n "$1" -6 addr show dev "$1-0" scope link)" ] &&
		[ -z "$(ip -n "$1" -6 addr show dev "$1-0" tentative)" ]
}
if ! wait_for 10 v6ready "$nsn" || ! wait_for 10 v6ready "$nsc"; then
	skip "a node on IPv6 only is found over link-local multicast" \
		"no IPv6 link-local address in the namespaces"
else
	listen="[::]:7437" node
	rm -rf "$cfg"
	out=$(inc join "$key" --name a6 2>&1)
	check "a node on IPv6 only is found over link-local multicast" \
		has "$out" "joined a6: .* at lan+\[fe80::.*%$nsc-0\]:7437"
	out=$(inc ping a6 -c 2 -i 0.05 2>&1)
	check "... and its link-local address, kept with its interface, answers" \
		has "$out" "2 sent, 2 received"
	stop_node
fi

e2e_done
