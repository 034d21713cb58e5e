#!/usr/bin/env bash
# tests/nat-lib.sh against the facts it promises: the sysctls of every
# namespace, then TCP across the topology with tests/fixtures/nat-probe.py
# (a server that answers with the address it sees, a client that prints
# its own): host-a reaches pub as nat-a's public address; a cone router
# keeps the source port and a symmetric one does not; nobody outside
# gets in unsolicited, whatever the WAN policy (drop: silence, reject:
# RST, open: the router's own RST); host-a reaches host-a2 on the LAN
# untranslated; two topologies can stand at once; nat_down and a failed
# nat_up leave no namespace. Needs root, iproute2 and iptables; else a
# skip with the reason.
set -u
. "$(dirname "$0")/e2e-lib.sh"
. "$(dirname "$0")/nat-lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root for ip netns"; exit 0; }
for c in ip iptables python3; do
	command -v $c >/dev/null || { echo "1..0 # SKIP no $c here"; exit 0; }
done
e2e_init nat-lib
probe=$(dirname "$0")/fixtures/nat-probe.py
cleanup_more() { nat_down; }

# serve NAME PORT: a probe server in NAME, waited for.
serve() {
	local f=$tmp/serve-$NAT_TAG-$1
	nat_exec "$1" python3 "$probe" serve "$2" >"$f" 2>&1 &
	pids+=($!)
	wait_for 10 grep -q ready "$f"
}
# reach NAME HOST PORT [SPORT [TIMEOUT]]: the client's line in $out.
reach() {
	out=$(nat_exec "$1" python3 "$probe" connect "${@:2}")
}
# gone: no namespace of this run is left.
gone() { ! ip netns list | grep -q "^$NAT_TAG-"; }

if ! nat_up -a cone -b symmetric:reject 2>"$tmp/err"; then
	not_ok "nat_up builds the topology" "$(cat "$tmp/err")"
	e2e_done
fi
ok "nat_up builds the topology (tag $NAT_TAG)"

# The sysctls.
out=
for name in $NAT_NAMES; do
	want=0
	case $name in nat-a|nat-b) want=1 ;; esac
	got=$(nat_exec "$name" cat /proc/sys/net/ipv4/ip_forward)
	[ "$got" = "$want" ] || out+="$name ip_forward $got; "
	got=$(nat_exec "$name" cat /proc/sys/net/ipv6/conf/all/disable_ipv6)
	[ "$got" = 1 ] || out+="$name disable_ipv6 $got; "
	for f in $(nat_exec "$name" sh -c \
	    'ls -d /proc/sys/net/ipv4/conf/*/rp_filter'); do
		got=$(nat_exec "$name" cat "$f")
		[ "$got" = 0 ] || out+="$name $f $got; "
	done
	f=/proc/sys/net/bridge/bridge-nf-call-iptables
	case $name in
	pnet|lana|lanb)
		got=$(nat_exec "$name" sh -c "cat $f 2>/dev/null || echo 0")
		[ "$got" = 0 ] || out+="$name bridge-nf-call-iptables $got; "
	esac
done
check "ip_forward only on routers, no IPv6, rp_filter 0, bridges bypass" \
	test -z "$out"

serve pub 7000 && serve host-a 7001 && serve host-a2 7002 &&
	serve host-b 7003 || not_ok "the probe servers start" \
	"$(cat "$tmp"/serve-*)"

reach host-a "$NAT_PUB" 7000 40001
check "host-a reaches pub over TCP" has "$out" "^$NAT_HOST_A:40001 "
check "pub sees host-a as nat-a's public address" \
	has "$out" " $NAT_A_WAN:"
check "nat-a (cone) keeps the source port" has "$out" " $NAT_A_WAN:40001\$"

kept=0 lines=
for sport in 40011 40012 40013; do
	reach host-b "$NAT_PUB" 7000 $sport
	lines+="$out; "
	has "$out" " $NAT_B_WAN:" || kept=9
	has "$out" ":$sport\$" && kept=$((kept + 1))
done
out=$lines
check "nat-b (symmetric) gives host-b a new public port" test $kept -le 1

reach pub "$NAT_A_WAN" 7001 0 1
check "pub cannot connect to host-a through nat-a (drop: silence)" \
	test "$out" = timeout
reach pub "$NAT_HOST_A" 7001 0 1
check "pub has no route to LAN A" has "$out" "unreachable\|timeout"
reach pub "$NAT_B_WAN" 7003 0 1
check "pub cannot connect to host-b through nat-b (reject: RST)" \
	test "$out" = refused

reach host-a "$NAT_HOST_A2" 7002 40021
check "host-a reaches host-a2 on the LAN, untranslated" \
	has "$out" " $NAT_HOST_A:40021\$"
reach host-a "$NAT_B_WAN" 7003 0 1
check "host-a cannot connect to host-b unsolicited" test "$out" = refused
reach host-a "$NAT_HOST_B" 7003 0 1
check "host-a has no route to LAN B" has "$out" "unreachable\|timeout"
out=$(cat "$tmp/serve-$NAT_TAG-host-a" "$tmp/serve-$NAT_TAG-host-b")
check "host-a's and host-b's servers heard from no one" \
	test "$out" = "$(printf 'ready\nready')"

# A second topology beside the first, with an open router.
first=$NAT_TAG
(
	nat_up -a cone:open "${first}x" || exit 1
	trap nat_down EXIT
	serve pub 7000 && serve host-a 7001 || exit 1
	reach host-a "$NAT_PUB" 7000 40031 && has "$out" " $NAT_A_WAN:40031\$" ||
		exit 1
	reach pub "$NAT_A_WAN" 7001 0 1
	[ "$out" = refused ] && [ "$(cat "$tmp/serve-$NAT_TAG-host-a")" = ready ]
) >"$tmp/second" 2>&1
check "a second topology at once; its open router answers pub with RST" \
	test $? -eq 0
out=$(ip netns list | grep "^${first}x-")
check "the second topology is gone after its nat_down" test -z "$out"
reach host-a "$NAT_PUB" 7000 40041
check "the first still works" has "$out" " $NAT_A_WAN:40041\$"

nat_down
out=$(ip netns list | grep "^$NAT_TAG-")
check "nat_down leaves no namespace, processes in them or not" gone
out=$(nat_up -a nat 2>&1)
rc=$?
check "a bad NAT type fails nat_up, which leaves nothing behind" \
	eval '[ $rc -ne 0 ] && has "$out" "no NAT type nat" && gone'

e2e_done
