# Sourced by the end-to-end tests that need NAT: builds, in network
# namespaces of its own, a small internet with two home networks behind
# two NAT routers, and tears it down again.
#
#                  pnet (bridge br0, no address: the "internet")
#       +--------------------+-----------+---------------------+
#   pub $NAT_PUB      nat-a wan $NAT_A_WAN       nat-b wan $NAT_B_WAN
#                     nat-a lan $NAT_A_GW        nat-b lan $NAT_B_GW
#                          |                          |
#                  lana (bridge br0)          lanb (bridge br0)
#                  +-------+--------+                 |
#   host-a $NAT_HOST_A   host-a2 $NAT_HOST_A2   host-b $NAT_HOST_B
#
# The names on the left of each address are the namespaces' short names,
# given to nat_exec and nat_ns; the namespaces themselves are called
# TAG-NAME, so several runs (each its own TAG) can hold topologies at
# once. Interfaces are made straight inside their namespaces (a veth's
# two ends never pass through the root namespace), so their names are
# the same in every run: eth0 on pub and the hosts, wan and lan on the
# routers, br0 and one port per neighbour (p-pub, p-nata, p-natb; p-gw,
# p-a, p-a2; p-gw, p-b) in the switches.
#
# Addresses: the public segment is $NAT_PUB_NET.0/24 inside 198.18.0.0/15
# (RFC 2544's benchmark range: not RFC 1918, not the machine's, so it
# looks public to every rule here and to the node's address checks), the
# two LANs 10.K.1.0/24 and 10.K.2.0/24, with K taken from the tag. Two
# runs could not see each other's addresses anyway (each has its own
# namespaces); K keeps one run's logs apart from another's.
#
# A router (the facts of ../shared/research/nat-testbed.md):
#   nat POSTROUTING -s LAN -o wan -j MASQUERADE: "cone" (Linux keeps the
#     source port while it is free; filtering is port-restricted);
#   ... MASQUERADE --random-fully: "symmetric" (a random public port for
#     every new conntrack entry);
#   FORWARD policy DROP, lan -> wan and ESTABLISHED,RELATED accepted;
#   its WAN input: drop (the default: unsolicited packets to the router's
#     own address vanish, except ESTABLISHED,RELATED and ICMP echo),
#     reject (the same but TCP RST / ICMP port-unreachable, as OpenWrt's
#     wan zone) or open (no INPUT rules; the router's stack answers).
# No router has a default route: nothing leaves the topology.
#
# Sysctls: ip_forward 1 on the routers and 0 everywhere else (a new
# namespace inherits the root's 1 here), IPv6 disabled everywhere unless
# nat_up -6, rp_filter 0 everywhere, bridge-nf-call-iptables and
# -arptables 0 in the switches (br_netfilter is loaded for Docker and
# would run the switches' frames through netfilter).
#
# Functions:
#   nat_up [-a TYPE[:WAN]] [-b TYPE[:WAN]] [-6] [TAG]
#	builds the topology; TYPE is cone or symmetric (default cone), WAN
#	is drop, reject or open (default drop); TAG defaults to pnat$$.
#	Returns non-zero (with what failed on stderr) after removing what it
#	had made. Sets NAT_TAG and the address variables.
#   nat_down	ends every process left in the run's namespaces and
#	deletes them; safe to call twice, or when nat_up failed, so a
#	script's EXIT trap (e2e-lib's cleanup_more) can call it.
#   nat_exec NAME CMD...	CMD in namespace NAME (pub, nat-a, host-a...).
#   nat_add_public NAME ADDR	one more host on the public segment, in a
#	namespace of its own (a server with a public address); nat_down
#	removes it with the others.
#   nat_ns NAME	prints the full name of namespace NAME (for ip -n).
#
# Variables after nat_up: NAT_TAG; NAT_PUB (pub's address), NAT_A_WAN,
# NAT_B_WAN (the routers' public addresses, which pub sees as the hosts'),
# NAT_A_GW, NAT_B_GW (the routers' LAN addresses), NAT_HOST_A,
# NAT_HOST_A2, NAT_HOST_B; NAT_PUB_NET, NAT_LAN_A_NET, NAT_LAN_B_NET (the
# three /24 prefixes, without the last octet); NAT_A_TYPE, NAT_A_WAN_IN,
# NAT_B_TYPE, NAT_B_WAN_IN (what nat_up made); NAT_NAMES (every short
# name).
#
# Needs root, iproute2 and iptables. nat_up runs namespaces made on
# behalf of dead runs (tags pnatPID whose PID is gone, left by a kill -9)
# away before it starts.

NAT__BASE="pnet pub nat-a nat-b lana lanb host-a host-a2 host-b"
NAT_NAMES=$NAT__BASE

# nat_ns NAME: the namespace of short name NAME in this run.
nat_ns() { echo "$NAT_TAG-$1"; }

# nat_exec NAME CMD...: CMD inside namespace NAME.
nat_exec() {
	local ns
	ns=$(nat_ns "$1")
	shift
	ip netns exec "$ns" "$@"
}

# nat__sysctl NAME KEY VALUE: one sysctl in NAME, a missing one skipped.
nat__sysctl() {
	local f=/proc/sys/${2//.//}
	nat_exec "$1" sh -c "[ ! -e $f ] || echo $3 >$f"
}

# nat__ns NAME FORWARD: the namespace, lo up, its sysctls set before any
# interface exists (so that "default" covers every later one).
nat__ns() {
	local v6=1 key
	ip netns add "$(nat_ns "$1")" || return 1
	[ -z "$NAT__V6" ] || v6=0
	nat__sysctl "$1" net.ipv4.ip_forward "$2" &&
	nat__sysctl "$1" net.ipv6.conf.all.disable_ipv6 $v6 &&
	nat__sysctl "$1" net.ipv6.conf.default.disable_ipv6 $v6 || return 1
	for key in all default lo; do
		nat__sysctl "$1" net.ipv4.conf.$key.rp_filter 0 || return 1
	done
	case $1 in
	pnet|lana|lanb)
		nat__sysctl "$1" net.bridge.bridge-nf-call-iptables 0 &&
		nat__sysctl "$1" net.bridge.bridge-nf-call-arptables 0 &&
		nat__sysctl "$1" net.bridge.bridge-nf-call-ip6tables 0 ||
			return 1
		ip -n "$(nat_ns "$1")" link add br0 type bridge || return 1
		ip -n "$(nat_ns "$1")" link set br0 up || return 1 ;;
	esac
	ip -n "$(nat_ns "$1")" link set lo up
}

# nat__port SWITCH PORT NAME IF ADDR: a veth from SWITCH's bridge (port
# PORT) to interface IF of NAME, with ADDR/24 on it.
nat__port() {
	local sw nsn
	sw=$(nat_ns "$1")
	nsn=$(nat_ns "$3")
	ip link add "$2" netns "$sw" type veth peer name "$4" netns "$nsn" &&
	ip -n "$sw" link set "$2" master br0 &&
	ip -n "$sw" link set "$2" up &&
	nat__sysctl "$3" "net.ipv4.conf.$4.rp_filter" 0 &&
	ip -n "$nsn" addr add "$5/24" dev "$4" &&
	ip -n "$nsn" link set "$4" up
}

# nat__router NAME LAN-NET TYPE WAN: NAT and filter rules of a router.
nat__router() {
	local x=(ip netns exec "$(nat_ns "$1")" iptables -w) rnd=
	case $3 in
	cone) ;;
	symmetric) rnd=--random-fully ;;
	*) echo "nat_up: $1: no NAT type $3 (cone or symmetric)" >&2
		return 1 ;;
	esac
	"${x[@]}" -t nat -A POSTROUTING -s "$2.0/24" -o wan -j MASQUERADE \
		$rnd &&
	"${x[@]}" -P FORWARD DROP &&
	"${x[@]}" -A FORWARD -i lan -o wan -j ACCEPT &&
	"${x[@]}" -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED \
		-j ACCEPT || return 1
	case $4 in
	open) return 0 ;;
	drop|reject) ;;
	*) echo "nat_up: $1: no WAN input policy $4 (drop, reject or" \
		"open)" >&2; return 1 ;;
	esac
	"${x[@]}" -A INPUT -i wan -m conntrack --ctstate ESTABLISHED,RELATED \
		-j ACCEPT &&
	"${x[@]}" -A INPUT -i wan -p icmp --icmp-type echo-request \
		-j ACCEPT || return 1
	if [ "$4" = drop ]; then
		"${x[@]}" -A INPUT -i wan -j DROP
	else
		"${x[@]}" -A INPUT -i wan -p tcp -j REJECT \
			--reject-with tcp-reset &&
		"${x[@]}" -A INPUT -i wan -j REJECT \
			--reject-with icmp-port-unreachable
	fi
}

# nat__build: the namespaces, links, addresses, routes and rules.
nat__build() {
	local name
	for name in $NAT_NAMES; do
		case $name in
		nat-a|nat-b) nat__ns "$name" 1 ;;
		*) nat__ns "$name" 0 ;;
		esac || return 1
	done
	nat__port pnet p-pub pub eth0 "$NAT_PUB" &&
	nat__port pnet p-nata nat-a wan "$NAT_A_WAN" &&
	nat__port pnet p-natb nat-b wan "$NAT_B_WAN" &&
	nat__port lana p-gw nat-a lan "$NAT_A_GW" &&
	nat__port lana p-a host-a eth0 "$NAT_HOST_A" &&
	nat__port lana p-a2 host-a2 eth0 "$NAT_HOST_A2" &&
	nat__port lanb p-gw nat-b lan "$NAT_B_GW" &&
	nat__port lanb p-b host-b eth0 "$NAT_HOST_B" || return 1
	for name in host-a host-a2; do
		ip -n "$(nat_ns $name)" route add default via "$NAT_A_GW" ||
			return 1
	done
	ip -n "$(nat_ns host-b)" route add default via "$NAT_B_GW" &&
	nat__router nat-a "$NAT_LAN_A_NET" "$NAT_A_TYPE" "$NAT_A_WAN_IN" &&
	nat__router nat-b "$NAT_LAN_B_NET" "$NAT_B_TYPE" "$NAT_B_WAN_IN"
}

# nat__sweep: namespaces of default-tagged runs whose process is gone.
nat__sweep() {
	local ns p
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' |
	    grep -E '^pnat[0-9]+-'); do
		p=${ns#pnat}
		p=${p%%-*}
		[ -d "/proc/$p" ] || nat__del "$ns"
	done
}

# nat__del NS: ends what still runs in NS (TERM, then KILL), deletes it.
nat__del() {
	local i pids
	pids=$(ip netns pids "$1" 2>/dev/null)
	if [ -n "$pids" ]; then
		kill $pids 2>/dev/null
		for i in $(seq 40); do
			pids=$(ip netns pids "$1" 2>/dev/null)
			[ -z "$pids" ] && break
			sleep 0.05
		done
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
	fi
	ip netns del "$1" 2>/dev/null
}

# nat_up [-a TYPE[:WAN]] [-b TYPE[:WAN]] [-6] [TAG]: the topology.
nat_up() {
	local o OPTIND=1 a=cone:drop b=cone:drop k
	NAT__V6=
	while getopts a:b:6 o; do
		case $o in
		a) a=$OPTARG ;;
		b) b=$OPTARG ;;
		6) NAT__V6=1 ;;
		*) echo "usage: nat_up [-a TYPE[:WAN]] [-b TYPE[:WAN]] [-6]" \
			"[TAG]" >&2; return 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	NAT_TAG=${1:-pnat$$}
	NAT_A_TYPE=${a%%:*}
	NAT_B_TYPE=${b%%:*}
	NAT_A_WAN_IN=drop
	NAT_B_WAN_IN=drop
	[ "$a" = "${a#*:}" ] || NAT_A_WAN_IN=${a#*:}
	[ "$b" = "${b#*:}" ] || NAT_B_WAN_IN=${b#*:}
	k=$(( $(printf %s "$NAT_TAG" | cksum | cut -d' ' -f1) % 250 + 1 ))
	NAT_PUB_NET=198.18.$k
	NAT_LAN_A_NET=10.$k.1
	NAT_LAN_B_NET=10.$k.2
	NAT_PUB=$NAT_PUB_NET.10
	NAT_A_WAN=$NAT_PUB_NET.1
	NAT_B_WAN=$NAT_PUB_NET.2
	NAT_A_GW=$NAT_LAN_A_NET.1
	NAT_B_GW=$NAT_LAN_B_NET.1
	NAT_HOST_A=$NAT_LAN_A_NET.2
	NAT_HOST_A2=$NAT_LAN_A_NET.3
	NAT_HOST_B=$NAT_LAN_B_NET.2
	nat__sweep
	nat_down
	if ! nat__build; then
		echo "nat_up: could not build the topology $NAT_TAG" >&2
		nat_down
		return 1
	fi
}

# nat_add_public NAME ADDR: a host NAME on pnet with ADDR/24 (eth0).
nat_add_public() {
	NAT_NAMES="$NAT_NAMES $1"
	nat__ns "$1" 0 && nat__port pnet "p-$1" "$1" eth0 "$2"
}

# nat_down: every namespace of this run gone, with what ran in it.
nat_down() {
	local name
	[ -n "${NAT_TAG:-}" ] || return 0
	for name in $NAT_NAMES; do
		nat__del "$(nat_ns "$name")"
	done
	NAT_NAMES=$NAT__BASE	# a later nat_up makes the base ones only
	return 0
}
