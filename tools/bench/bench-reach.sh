#!/usr/bin/env bash
# Reach I's benchmark, in the NAT topology of tests/nat-lib.sh (network
# namespaces: a public segment with the host "pub", two NAT routers, a
# host behind each, a second host on LAN A), one run, one engine:
#
#   1. time to the first byte of `pier ps` over each path, RUNS runs each,
#      median and p90:
#        direct  node on pub, client on host-b behind NAT B
#        lan     node on host-a, client on host-a2 on the same LAN, key
#                without hints (LAN discovery)
#        mapped  node on host-a, client on host-b, through a forwarded
#                port on NAT A (the DNAT rule a router installs for a
#                mapping; the mapping protocols themselves are tested in
#                test-e2e-portmap against miniupnpd)
#        relay   node on host-a, client on host-b, through a relay on pub
#      and `docker ps` on the host for scale;
#   2. bulk: 64 MiB of `pier exec head -c 67108864 /dev/zero` output over
#      the mapped path and over the relay (the same node and client),
#      RUNS/3 runs each, MiB/s and the ratio;
#   3. the relay's memory: VmRSS of the relay's pierd with its one link
#      and N clients spliced to one node (tools/bench/bench-clients with
#      the node's key and only the relay as hint), then of a fresh relay
#      process with N more relay links (bench-clients with a relay key:
#      each connection is a link): per spliced client and per link.
#
# NAT A and B are symmetric (MASQUERADE --random-fully), the routers drop
# unsolicited packets: the hardest case for everything but a relay.
#
# Usage (root): tools/bench/bench-reach.sh [-b BUILD] [-r RUNS] [-n N]
#   -b BUILD  a build without sanitizers (default build-rel: meson setup
#             build-rel --buildtype=release && ninja -C build-rel)
#   -r RUNS   timed runs per path (default 20)
#   -n N      relay links and spliced clients for the memory (default 200)
set -u

build=build-rel
runs=20
nconn=200
while getopts b:r:n: o; do
	case $o in
	b) build=$OPTARG ;;
	r) runs=$OPTARG ;;
	n) nconn=$OPTARG ;;
	*) echo "usage: $0 [-b BUILD] [-r RUNS] [-n N]" >&2; exit 2 ;;
	esac
done
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$build" 2>/dev/null && pwd) || {
	echo "bench-reach: no build directory $build" >&2; exit 2; }
pierd=$build/node/pierd
pier=$build/tools/pier/pier
clients=$build/tools/bench/bench-clients
for f in "$pierd" "$pier" "$clients"; do
	[ -x "$f" ] || { echo "bench-reach: $f is missing" >&2; exit 2; }
done
[ "$(id -u)" -eq 0 ] || { echo "bench-reach: needs root" >&2; exit 2; }
. "$top/tests/nat-lib.sh"
tmp=$(mktemp -d /tmp/bench-reach.XXXXXX)
pids=()
ctr=pier-bench-reach-$$

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	docker rm -f "$ctr" >/dev/null 2>&1
	nat_down
	rm -rf "$tmp"
}
trap cleanup EXIT

nat_up -a symmetric -b symmetric || exit 1
docker run -d --name "$ctr" --label pier.bench=1 pier-test/busybox:latest \
	sleep 3600 >/dev/null || exit 1

# start NS NAME LISTEN [ARGS]: a pierd in namespace NS, state $tmp/NAME.
start() {
	nat_exec "$1" "$pierd" --state-dir "$tmp/$2" --listen "$3" "${@:4}" \
		>"$tmp/$2.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		grep -q ' ready: ' "$tmp/$2.log" && return 0
		sleep 0.05
	done
	echo "bench-reach: $2 did not start" >&2
	cat "$tmp/$2.log" >&2
	exit 1
}
# pidof_node NAME: the pid of the pierd with state $tmp/NAME.
pidof_node() { pgrep -f -- "--state-dir $tmp/$1 " | head -1; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
# join NS CFG KEY: a client in NS with config CFG joins KEY as "n".
join() {
	nat_exec "$1" env PIER_CONFIG_DIR="$2" "$pier" join "$3" --name n \
		>/dev/null 2>&1 || { echo "bench-reach: join from $1 failed" >&2
		exit 1; }
}
# ttfb NS CFG: median and p90 ms to the first byte of `pier ps`.
ttfb() {
	nat_exec "$1" env PIER_CONFIG_DIR="$2" python3 - "$pier" "$runs" <<'EOF'
import os, statistics, subprocess, sys, time
pier, runs = sys.argv[1], int(sys.argv[2])
ts = []
for _ in range(runs):
    t0 = time.monotonic()
    p = subprocess.Popen([pier, "ps"], stdout=subprocess.PIPE)
    p.stdout.read(1)
    ts.append((time.monotonic() - t0) * 1000)
    p.stdout.read()
    if p.wait() != 0:
        sys.exit("pier ps failed")
ts.sort()
print("%.1f %.1f" % (statistics.median(ts), ts[int(len(ts) * 0.9) - 1]))
EOF
}
# bulk NS CFG: MiB/s of `pier exec head -c 67108864 /dev/zero` (64 MiB),
# median of the runs.
bulk() {
	nat_exec "$1" env PIER_CONFIG_DIR="$2" python3 - "$pier" \
		$(((runs + 2) / 3)) "$ctr" <<'EOF'
import statistics, subprocess, sys, time
pier, runs, ctr = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rates = []
for _ in range(runs):
    t0 = time.monotonic()
    out = subprocess.run([pier, "exec", "n/" + ctr, "head", "-c",
                          "67108864", "/dev/zero"],
                         stdout=subprocess.PIPE, check=True).stdout
    rates.append(len(out) / 1048576 / (time.monotonic() - t0))
print("%.0f %.1f" % (statistics.median(rates), len(out) / 1048576))
EOF
}

echo "bench-reach: NAT A $NAT_A_TYPE/$NAT_A_WAN_IN, NAT B $NAT_B_TYPE/$NAT_B_WAN_IN, $runs runs"

# The relay on pub, the node behind NAT A with a link to it.
start pub relay "$NAT_PUB:7437" --relay-per-source $((nconn + 16))
rkey=$("$pierd" key create --role relay --name a --state-dir "$tmp/relay" \
	--listen "$NAT_PUB:7437" | grep '^pier1')
"$pierd" relay add "$rkey" --name pub --state-dir "$tmp/a" >/dev/null
start host-a a 0.0.0.0:7437 --max-connections $((nconn + 64))
for _ in $(seq 200); do
	"$pierd" relay ls --state-dir "$tmp/a" | grep -q ' up$' && break
	sleep 0.05
done
akey=$(nat_exec host-a "$pierd" key show --state-dir "$tmp/a" --no-addr)
# A forwarded port on NAT A, as a mapping installs it.
nat_exec nat-a iptables -t nat -A PREROUTING -i wan -p tcp --dport 7437 \
	-j DNAT --to-destination "$NAT_HOST_A:7437"
nat_exec nat-a iptables -I FORWARD -i wan -p tcp -d "$NAT_HOST_A" \
	--dport 7437 -j ACCEPT
# A node on the public host, for the direct path.
start pub d "$NAT_PUB:7438"
dkey=$("$pierd" key show --state-dir "$tmp/d" --listen "$NAT_PUB:7438")

join host-b "$tmp/c-direct" "$dkey"
join host-a2 "$tmp/c-lan" "$akey"
join host-b "$tmp/c-mapped" "$akey@map+$NAT_A_WAN:7437"
join host-b "$tmp/c-relay" "$akey@relay+$NAT_PUB:7437"

echo
echo "time to the first byte of pier ps (ms): median p90"
for p in direct lan mapped relay; do
	case $p in
	direct) ns=host-b ;; lan) ns=host-a2 ;; *) ns=host-b ;;
	esac
	r=$(ttfb "$ns" "$tmp/c-$p") || exit 1
	printf '  %-7s %s\n' "$p" "$r"
	eval "t_$p=\${r%% *}"
done
d=$(python3 - <<'EOF'
import statistics, subprocess, time
ts = []
for _ in range(20):
    t0 = time.monotonic()
    p = subprocess.Popen(["docker", "ps"], stdout=subprocess.PIPE)
    p.stdout.read(1); ts.append((time.monotonic() - t0) * 1000)
    p.stdout.read(); p.wait()
print("%.1f" % statistics.median(ts))
EOF
)
printf '  %-7s %s (on the host, for scale)\n' "docker" "$d"

echo
echo "bulk: pier exec head -c 64MiB /dev/zero, MiB/s (median) and MiB per run"
bm=$(bulk host-b "$tmp/c-mapped") || exit 1
br=$(bulk host-b "$tmp/c-relay") || exit 1
echo "  mapped  $bm"
echo "  relay   $br"
echo "  relay/mapped: $(python3 -c "print('%.2f' % (${br%% *} / ${bm%% *}))")"

echo
echo "the relay's memory (VmRSS KiB), each part on a fresh relay process"
# hold KEY OUT: N bench clients from host-b, until killed; waits for ready.
hold() {
	nat_exec host-b "$clients" -k "$1" -n "$nconn" -t 600 >"$2" 2>&1 &
	hp=$!
	for _ in $(seq 1200); do
		grep -q "^ready" "$2" && return 0
		sleep 0.1
	done
	echo "bench-reach: $nconn clients did not come up" >&2
	cat "$2" >&2
	exit 1
}
# relay_restart: a fresh relay process (same state and port), the node's
# link back up.
relay_restart() {
	kill -TERM "$(pidof_node relay)"
	while [ -n "$(pidof_node relay)" ]; do sleep 0.05; done
	start pub relay "$NAT_PUB:7437" --relay-per-source $((nconn + 16))
	for _ in $(seq 600); do
		"$pierd" relay ls --state-dir "$tmp/a" | grep -q ' up$' && break
		sleep 0.05
	done
}
relay_restart
m0=$(rss "$(pidof_node relay)")
hold "$akey@relay+$NAT_PUB:7437" "$tmp/splices.out"
m1=$(rss "$(pidof_node relay)")
kill -TERM "$hp"; wait "$hp" 2>/dev/null
relay_restart
m2=$(rss "$(pidof_node relay)")
hold "$rkey" "$tmp/links.out"
m3=$(rss "$(pidof_node relay)")
kill -TERM "$hp"; wait "$hp" 2>/dev/null
echo "  with the node's link:     $m0"
echo "  + $nconn spliced clients:    $m1 ($(( (m1 - m0) * 1024 / nconn )) bytes per spliced client)"
echo "  fresh, with the link:     $m2"
echo "  + $nconn relay links:        $m3 ($(( (m3 - m2) * 1024 / nconn )) bytes per link)"
grep -h "^ready\|^done" "$tmp/splices.out" "$tmp/links.out" |
	sed 's/^/  bench-clients: /'
