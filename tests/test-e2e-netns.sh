#!/usr/bin/env bash
# pierd and pier in two network namespaces joined by a veth pair, so the
# client reaches the node over a real (virtual) link and not loopback:
# join, then ping. Needs root and `ip netns`; otherwise it reports a
# skip with the reason. The 10.x addresses exist only inside the two
# namespaces this test makes, and a trap removes them.
set -u

build=${PIER_BUILD_ROOT:?PIER_BUILD_ROOT is not set}
pierd=$build/node/pierd
pier=$build/tools/pier/pier

skip() { echo "1..0 # SKIP $1"; exit 0; }

[ "$(id -u)" -eq 0 ] || skip "needs root for ip netns"
command -v ip >/dev/null || skip "no ip command (iproute2)"

tag=pe2e$$
nsa=$tag-a
nsb=$tag-b
net=10.$(( 200 + $$ % 50 )).$(( $$ % 250 ))
tmp=$(mktemp -d /tmp/pier-e2e-netns.XXXXXX)
pid=

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$nsa" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! ip netns add "$nsa" 2>"$tmp/err" || ! ip netns add "$nsb" 2>>"$tmp/err"
then
	skip "ip netns does not work here: $(head -1 "$tmp/err")"
fi
if ! ip link add "$tag-va" netns "$nsa" type veth peer name "$tag-vb" \
    netns "$nsb" 2>"$tmp/err"; then
	skip "cannot make a veth pair: $(head -1 "$tmp/err")"
fi
ip -n "$nsa" addr add "$net.1/24" dev "$tag-va"
ip -n "$nsb" addr add "$net.2/24" dev "$tag-vb"
ip -n "$nsa" link set "$tag-va" up
ip -n "$nsb" link set "$tag-vb" up
ip -n "$nsa" link set lo up
ip -n "$nsb" link set lo up

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; echo "# ${2:-}"; }

ip netns exec "$nsa" "$pierd" --state-dir "$tmp/state" \
	--listen "0.0.0.0:7437" >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	grep -q ' ready: ' "$tmp/log" && break
	sleep 0.05
done
if grep -q "listening on 0.0.0.0:7437" "$tmp/log"; then
	ok "pierd listens in namespace A"
else
	not_ok "pierd listens in namespace A" "$(cat "$tmp/log")"
fi

# key show runs in A, so the wildcard becomes A's veth address.
key=$(ip netns exec "$nsa" "$pierd" key show --state-dir "$tmp/state")
if grep -q "$net.1:7437" <<<"$key"; then
	ok "the join key carries the veth address as a hint"
else
	not_ok "the join key carries the veth address as a hint" "$key"
fi

out=$(PIER_CONFIG_DIR=$tmp/client ip netns exec "$nsb" "$pier" join "$key" \
	--name a 2>&1)
if [ $? -eq 0 ] && grep -q "joined a: .* at $net.1:7437" <<<"$out"; then
	ok "pier in namespace B joins the node over the veth link"
else
	not_ok "pier in namespace B joins the node over the veth link" "$out"
fi

out=$(PIER_CONFIG_DIR=$tmp/client ip netns exec "$nsb" "$pier" ping a \
	-c 3 -i 0.05 2>&1)
if [ $? -eq 0 ] && grep -q "3 sent, 3 received" <<<"$out"; then
	ok "pier ping across the namespaces"
else
	not_ok "pier ping across the namespaces" "$out"
fi

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
if [ $rc -eq 0 ] && grep -q "$net.2" "$tmp/log"; then
	ok "the node saw the client from B's address and stopped cleanly"
else
	not_ok "the node saw the client from B's address and stopped cleanly" \
		"$(cat "$tmp/log")"
fi

echo "1..$n"
exit $failed
