#!/usr/bin/env bash
# Port mapping against a real router: Debian's miniupnpd (iptables
# backend) in a NAT router's namespace, pierd in a host namespace behind
# it, a client in a "public" namespace in front of it.
#
#   pub eth0 11.0.113.10/24 ── wan 11.0.113.1/24 [router] lan 10.77.0.1/24
#                                                                │
#                                                  host eth0 10.77.0.2/24
#
# The router masquerades lan -> wan and forwards nothing else but
# replies and what miniupnpd opens. The "public" range is not TEST-NET:
# miniupnpd refuses to map on a wan with a reserved address ("Port
# forwarding is impossible"), and 192.0.2/24, 198.51.100/24 and
# 203.0.113/24 are on its reserved list. The addresses exist only inside
# these namespaces, which reach nothing outside. All rules, miniupnpd's
# included, live in the legacy iptables tables (miniupnpd-iptables uses
# libiptc), so the router has no nft rules that could drop its DNATs.
#
# Cases: PCP (miniupnpd's default), a PCP mapping verified by a relay's
# dial-back (the node's own key then carries map+ADDR), NAT-PMP (the router drops version-2
# packets, as a NAT-PMP-only gateway would ignore them), UPnP-IGD
# (enable_natpmp=no), and --no-port-mapping. For each: pierd maps, the
# client in pub joins through the mapping and pings, and after SIGTERM
# miniupnpd's rules are empty and the port no longer reaches.
set -u

. "$(dirname "$0")/e2e-lib.sh"

skip_all() { echo "1..0 # SKIP $1"; exit 0; }

[ "$(id -u)" -eq 0 ] || skip_all "needs root for ip netns and iptables"
command -v ip >/dev/null || skip_all "no ip command (iproute2)"
command -v iptables-legacy >/dev/null ||
	skip_all "no iptables-legacy (Debian's iptables package)"
[ -x /usr/sbin/miniupnpd ] ||
	skip_all "no miniupnpd (tools/setup-deps --test)"

e2e_init portmap
tag=ppm$$
pub=$tag-pub
rt=$tag-rt
host=$tag-host
wan=11.0.113.1
lan=10.77.0
mu=

cleanup_more() {
	[ -n "$mu" ] && kill "$mu" 2>/dev/null && wait "$mu" 2>/dev/null
	ip netns del "$pub" 2>/dev/null
	ip netns del "$rt" 2>/dev/null
	ip netns del "$host" 2>/dev/null
}

R() { ip netns exec "$rt" iptables-legacy -w "$@"; }

# The three namespaces, two veth links, the router's NAT and filter.
topology() {
	local ns
	for ns in "$pub" "$rt" "$host"; do
		ip netns add "$ns" || return 1
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=0 \
			net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
		ip -n "$ns" link set lo up
	done
	ip netns exec "$rt" sysctl -qw net.ipv4.ip_forward=1
	ip link add "$tag-w" netns "$rt" type veth peer name "$tag-p" \
		netns "$pub" || return 1
	ip link add "$tag-l" netns "$rt" type veth peer name "$tag-h" \
		netns "$host" || return 1
	ip -n "$rt" link set "$tag-w" name wan
	ip -n "$rt" link set "$tag-l" name lan
	ip -n "$pub" link set "$tag-p" name eth0
	ip -n "$host" link set "$tag-h" name eth0
	ip -n "$rt" addr add "$wan/24" dev wan
	ip -n "$rt" addr add "$lan.1/24" dev lan
	ip -n "$pub" addr add 11.0.113.10/24 dev eth0
	ip -n "$host" addr add "$lan.2/24" dev eth0
	ip -n "$rt" link set wan up
	ip -n "$rt" link set lan up
	ip -n "$pub" link set eth0 up
	ip -n "$host" link set eth0 up
	ip -n "$host" route add default via "$lan.1"
	R -t nat -A POSTROUTING -s "$lan.0/24" -o wan -j MASQUERADE &&
	R -P FORWARD DROP &&
	R -A FORWARD -i lan -o wan -j ACCEPT &&
	R -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT &&
	# The chains miniupnpd fills (its iptables_init.sh, which would run
	# the nft iptables here, does the same).
	R -t nat -N MINIUPNPD &&
	R -t nat -A PREROUTING -i wan -j MINIUPNPD &&
	R -t nat -N MINIUPNPD-POSTROUTING &&
	R -t nat -I POSTROUTING -o wan -j MINIUPNPD-POSTROUTING &&
	R -t mangle -N MINIUPNPD &&
	R -t mangle -A PREROUTING -i wan -j MINIUPNPD &&
	R -N MINIUPNPD &&
	R -I FORWARD -i wan ! -o wan -j MINIUPNPD
}

if ! topology >"$tmp/topo.err" 2>&1; then
	skip_all "cannot build the namespaces: $(tail -1 "$tmp/topo.err")"
fi

# miniupnpd NATPMP: runs it in the router with NAT-PMP/PCP on or off.
miniupnpd_start() {
	if [ -n "$mu" ]; then
		kill "$mu" 2>/dev/null
		wait "$mu" 2>/dev/null
	fi
	cat >"$tmp/miniupnpd.conf" <<-EOF
	ext_ifname=wan
	listening_ip=lan
	http_port=0
	enable_natpmp=$1
	enable_upnp=yes
	secure_mode=yes
	system_uptime=yes
	uuid=6f1c2a52-7d0e-4c1b-9a55-$(printf '%012d' $$)
	allow 1024-65535 $lan.0/24 1024-65535
	deny 0-65535 0.0.0.0/0 0-65535
	EOF
	: >"$tmp/miniupnpd.log"
	ip netns exec "$rt" /usr/sbin/miniupnpd -f "$tmp/miniupnpd.conf" -d \
		-P "$tmp/miniupnpd.pid" >>"$tmp/miniupnpd.log" 2>&1 &
	mu=$!
	wait_for 10 grep -q "HTTP listening on port" "$tmp/miniupnpd.log"
}

# Rules miniupnpd holds in its nat chain (0 when nothing is mapped).
rules() { R -t nat -S MINIUPNPD | grep -c -- '^-A'; }

# reaches PORT: a TCP connection from pub to the router's wan PORT.
reaches() {
	timeout 5 ip netns exec "$pub" bash -c \
		"exec 3<>/dev/tcp/$wan/$1" 2>/dev/null
}

# pierd_start NAME PORT [ARGS]: a node in the host namespace.
pierd_start() {
	ip netns exec "$host" "$pierd" --state-dir "$tmp/$1" \
		--listen "0.0.0.0:$2" "${@:3}" >"$tmp/$1.log" 2>&1 &
	pid=$!
	wait_for 10 grep -qs ' ready: ' "$tmp/$1.log"
}

# mapped NAME: the public port of the node's mapping line, once logged.
mapped() {
	sed -n 's/.*port mapping: [a-z-]* [0-9.]*:\([0-9]*\) -> .*/\1/p' \
		"$tmp/$1.log" | head -1
}

# one_case NAME PROTO PORT: map, join through it, stop, mapping gone.
one_case() {
	local name=$1 proto=$2 port=$3 pport key out rc what
	pierd_start "$name" "$port"
	# UPnP discovery waits 2 s for SSDP answers before anything else.
	if wait_for 20 grep -q "port mapping: $proto $wan:" "$tmp/$name.log"
	then
		ok "$proto: pierd maps :$port at the router"
	else
		not_ok "$proto: pierd maps :$port at the router" \
			"$(cat "$tmp/$name.log")" \
			"$(tail -20 "$tmp/miniupnpd.log")"
		kill -TERM "$pid"; wait "$pid"; pid=
		return
	fi
	pport=$(mapped "$name")
	out=$(R -t nat -S MINIUPNPD)
	check "$proto: miniupnpd redirects $pport to $lan.2:$port" \
		has "$out" "dport $pport"
	# The node's join key, with the mapped address as its only hint.
	key=$(ip netns exec "$host" "$pierd" key show --state-dir \
		"$tmp/$name" | tail -1)
	key="${key%%@*}@$wan:$pport"
	out=$(PIER_CONFIG_DIR=$tmp/client-$name ip netns exec "$pub" \
		"$pier" join "$key" --name "$name" 2>&1)
	check "$proto: pier in pub joins through $wan:$pport" \
		has "$out" "joined $name"
	out=$(PIER_CONFIG_DIR=$tmp/client-$name ip netns exec "$pub" \
		"$pier" ping "$name" -c 2 -i 0.05 2>&1)
	check "$proto: pier ping through the mapping" \
		has "$out" "2 sent, 2 received"
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	pid=
	out=$(cat "$tmp/$name.log")
	what="$proto: SIGTERM deletes the mapping before pierd exits"
	if [ $rc -eq 0 ] && has "$out" "removing $proto $wan:$pport" &&
	    [ "$(rules)" -eq 0 ]; then
		ok "$what"
	else
		not_ok "$what" "exit $rc, rules $(rules)" "$out"
	fi
	if reaches "$pport"; then
		not_ok "$proto: $wan:$pport no longer reaches the host"
	else
		ok "$proto: $wan:$pport no longer reaches the host"
	fi
}

if ! miniupnpd_start yes; then
	not_ok "miniupnpd starts in the router namespace" \
		"$(cat "$tmp/miniupnpd.log")"
	e2e_done
fi
ok "miniupnpd starts in the router namespace"

# Before any mapping: the wan port does not reach the host.
if reaches 7437; then
	not_ok "without a mapping $wan:7437 does not reach the host"
else
	ok "without a mapping $wan:7437 does not reach the host"
fi

one_case pcp pcp 7437

# A mapping is believed only once a relay's dial-back reached the node
# through it; then the node's own key carries it as map+ADDR, and a
# client in pub that holds that key joins through the mapping.
verified_case() {
	local rkey key out pport relay
	ip netns exec "$pub" "$pierd" --state-dir "$tmp/relay" \
		--listen 11.0.113.10:7500 >"$tmp/relay.log" 2>&1 &
	relay=$!
	pids+=("$relay")
	wait_for 10 grep -qs ' ready: ' "$tmp/relay.log"
	rkey=$("$pierd" key create --role relay --name v --state-dir \
		"$tmp/relay" --listen 11.0.113.10:7500 | grep '^pier1')
	"$pierd" relay add "$rkey" --name pubrelay --state-dir \
		"$tmp/verified" >/dev/null
	pierd_start verified 7442
	check "a relay's dial-back verifies the mapping" \
		wait_for 20 grep -q "port mapping $wan:[0-9]* verified" \
		"$tmp/verified.log"
	pport=$(mapped verified)
	out=$(ip netns exec "$host" "$pierd" status --state-dir \
		"$tmp/verified" 2>&1)
	check "pierd status shows the mapping, verified, and the public address" \
		eval 'has "$out" "^mapping: *pcp $wan:$pport verified" && has "$out" "^public: *$wan:"'
	key=$(ip netns exec "$host" "$pierd" key show --state-dir \
		"$tmp/verified" | tail -1)
	check "the node's key carries the verified mapping as map+ADDR" \
		has "$key" "map+$wan:$pport"
	out=$(PIER_CONFIG_DIR=$tmp/client-v ip netns exec "$pub" \
		"$pier" join "$key" --name v 2>&1)
	check "pier in pub joins with the node's own key" has "$out" "joined v"
	out=$(PIER_CONFIG_DIR=$tmp/client-v ip netns exec "$pub" \
		"$pier" doctor v --json 2>/dev/null)
	check "pier doctor says the path is mapped" \
		python3 -c 'import json,sys; j=json.loads(sys.argv[1]); sys.exit(0 if j["path"] == "mapped" and j["reach"]["mapped"] else 1)' "$out"
	kill -TERM "$pid"
	wait "$pid"
	pid=
	check "the mapping is gone once the node stopped" [ "$(rules)" -eq 0 ]
	kill -TERM "$relay"
	wait "$relay"
}
verified_case

# A NAT-PMP-only gateway: PCP (version 2) requests go unanswered.
if R -I INPUT -i lan -p udp --dport 5351 -m u32 \
    --u32 "0>>22&0x3C@8>>24=2" -j DROP 2>"$tmp/u32.err"; then
	one_case natpmp nat-pmp 7438
	R -D INPUT -i lan -p udp --dport 5351 -m u32 \
		--u32 "0>>22&0x3C@8>>24=2" -j DROP
else
	skip "nat-pmp alone" "no u32 match: $(head -1 "$tmp/u32.err")"
fi

# --no-port-mapping asks nothing: started first, it has mapped nothing
# by the time a second node, started after it, holds its mapping.
pierd_start quiet 7440 --no-port-mapping
quiet=$pid
pierd_start loud 7441
if wait_for 20 grep -q "port mapping: pcp" "$tmp/loud.log" &&
    ! grep -q "port mapping" "$tmp/quiet.log" &&
    ! grep -q "7440" "$tmp/miniupnpd.log"; then
	ok "--no-port-mapping: the node asks the router nothing"
else
	not_ok "--no-port-mapping: the node asks the router nothing" \
		"$(cat "$tmp/quiet.log")" "$(grep 7440 "$tmp/miniupnpd.log")"
fi
kill -TERM "$pid" "$quiet"
wait "$pid" "$quiet"
pid=

# UPnP-IGD alone: miniupnpd without NAT-PMP/PCP.
if miniupnpd_start no; then
	one_case upnp upnp 7439
else
	not_ok "miniupnpd restarts without NAT-PMP" \
		"$(cat "$tmp/miniupnpd.log")"
fi

e2e_done
