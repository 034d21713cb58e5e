#!/usr/bin/env bash
# A node under load (issue 10): one release pierd on 127.0.0.1, started
# with --max-connections and --max-sessions large enough, holding
# CLIENTS connected clients (tools/bench/bench-clients: each its own
# identity and handshake; with -p 0 nothing but the overlay's keepalives
# crosses them) and then SHELLS open shells as well (`pier shell` into
# one container, each under its own PTY, attached and idle; each is one
# more connection and one exec in the engine). It reads the node's
# VmRSS and RssAnon (/proc/PID/status) and CPU time (utime + stime,
# /proc/PID/stat), and the same of its screen worker:
#
#   before     joined, no client held;
#   clients    CLIENTS connected (the CPU of their handshakes);
#   idle       HOLD seconds more with them held;
#   shells     SHELLS shells open as well;
#   idle       HOLD seconds more with everything held;
#
# and from these the cost of one connection and of one shell. The heap
# the node has in use (mallinfo2) is read too when the build has
# tools/bench/libbench-heap-probe.so (as bench-term.sh does), to tell
# live memory from pages the allocator keeps. Then the
# client side: the PSS and RSS (smaps_rollup) of the SHELLS `pier shell`
# processes against as many `docker exec -it CTR sh` processes of the
# docker CLI, held the same way, for the memory ratio.
#
# The container runs `sleep 3600` from pier-test/busybox:latest with the
# labels pier.test=1 and pier.bench.run=PID, and is removed at the end
# (also on failure or Ctrl-C) with pierd and every client.
#
# Usage: tools/bench/bench-node-load.sh [-b BUILD] [-n CLIENTS]
#            [-s SHELLS] [-t HOLD] [-p PING]
#   -b BUILD    a build without sanitizers (default build-rel):
#               meson setup build-rel --buildtype=release &&
#               ninja -C build-rel node/pierd tools/pier/pier
#               tools/bench/bench-clients
#               [tools/bench/libbench-heap-probe.so]
#   -n CLIENTS  connected clients, at most 1000 (default 1000)
#   -s SHELLS   open shells (default 200; 0 skips them and the docker CLI)
#   -t HOLD     seconds each idle period lasts (default 30)
#   -p PING     seconds between the clients' pings (default 0: none, the
#               overlay's keepalive alone, a ping after 15 s of silence)
set -u

here=$(cd "$(dirname "$0")" && pwd)
build=build-rel
nclients=1000
nshells=200
hold=30
ping=0
while getopts b:n:s:t:p: o; do
	case $o in
	b) build=$OPTARG ;;
	n) nclients=$OPTARG ;;
	s) nshells=$OPTARG ;;
	t) hold=$OPTARG ;;
	p) ping=$OPTARG ;;
	*) echo "usage: $0 [-b BUILD] [-n CLIENTS] [-s SHELLS] [-t HOLD]" \
		"[-p PING]" >&2; exit 2 ;;
	esac
done
build=$(cd "$build" 2>/dev/null && pwd) || {
	echo "bench-node-load: no build directory $build" >&2; exit 2; }
pierd=$build/node/pierd
pier=$build/tools/pier/pier
clients=$build/tools/bench/bench-clients
for f in "$pierd" "$pier" "$clients"; do
	[ -x "$f" ] || { echo "bench-node-load: $f is missing; build it" \
		"first" >&2; exit 2; }
done
docker version >/dev/null 2>&1 || {
	echo "bench-node-load: no Docker engine (docker version fails)" >&2
	exit 1; }
image=pier-test/busybox:latest
docker image inspect $image >/dev/null 2>&1 || {
	echo "bench-node-load: no $image; run tools/docker-engine first" >&2
	exit 1; }
# bench-clients and the node hold a socket per connection.
ulimit -n $((nclients + 2 * nshells + 1024)) 2>/dev/null

tmp=$(mktemp -d /tmp/pier-bench-load.XXXXXX)
run_label=pier.bench.run=$$
pids=()
node_pid=
cleanup() {
	local q
	exec 7>&- 8>&- 9>&- 2>/dev/null
	for q in "${pids[@]}"; do
		kill "$q" 2>/dev/null && wait "$q" 2>/dev/null
	done
	docker ps -aq --filter "label=$run_label" | xargs -r \
		docker rm -f >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export PIER_CONFIG_DIR=$tmp/client

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# worker PID: the pid of node PID's screen worker, or nothing.
worker() {
	local p
	for p in $(ps -o pid= --ppid "$1"); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null |
			grep -q -- '--screen-worker' && { echo "$p"; return; }
	done
}
# sample PID: "VmRSS RssAnon CPU-ticks" of PID, "0 0 0" if it is gone.
sample() {
	if [ -n "$1" ] && [ -r "/proc/$1/stat" ]; then
		echo "$(awk '/^(VmRSS|RssAnon):/ { printf "%s ", $2 }' \
			"/proc/$1/status")$(sed 's/.*) //' "/proc/$1/stat" |
			awk '{ print $12 + $13 }')"
	else
		echo "0 0 0"
	fi
}
# heap: the node's heap in use in KiB (0 without the probe).
heap() {
	[ -s "$tmp/heap" ] || { echo 0; return; }
	sleep 0.3	# the probe writes every 100 ms
	echo $(( $(tr -d ' ' <"$tmp/heap") / 1024 ))
}
# row NAME: a sample of the node and of its worker, appended to $tmp/rows.
row() {
	echo "$1 $(sample "$node_pid") $(sample "$(worker "$node_pid")")" \
		"$(heap)" >>"$tmp/rows"
}
# pss PID...: "PSS RSS" in KiB summed over the PIDs (smaps_rollup).
pss() {
	local p
	for p in "$@"; do
		cat "/proc/$p/smaps_rollup"
	done | awk '/^Pss:/ { p += $2 } /^Rss:/ { r += $2 }
		END { print p + 0, r + 0 }'
}
# hold_shells FD N CMD...: N shells held by bench-term-util.py hold, its
# stdin on FD (closing FD lets them go); their pids in $held.
hold_shells() {
	local fd=$1 n=$2 line
	shift 2
	mkfifo "$tmp/hold-$fd"
	python3 "$here/bench-term-util.py" hold "$n" "$@" \
		<"$tmp/hold-$fd" >"$tmp/held-$fd" 2>"$tmp/held-$fd.err" &
	pids+=($!)
	eval "exec $fd>\"$tmp/hold-$fd\""
	until line=$(grep '^ready' "$tmp/held-$fd"); do
		kill -0 "${pids[-1]}" 2>/dev/null || {
			echo "bench-node-load: holding $* failed:" >&2
			cat "$tmp/held-$fd.err" >&2; exit 1; }
		sleep 0.2
	done
	held=${line#ready }
}
# now_ms: the wall clock in ms.
now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

echo "bench-node-load: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores," \
	"load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"$(docker version -f 'engine {{.Server.Version}}, CLI {{.Client.Version}}' 2>/dev/null)," \
	"commit $(git -C "$here" rev-parse --short HEAD 2>/dev/null)," \
	"build $build; $nclients clients, $nshells shells, ${hold} s holds," \
	"client pings every ${ping} s"

port=$(free_port)
probe=$build/tools/bench/libbench-heap-probe.so
[ -e "$probe" ] || probe=
PIER_HEAP_PROBE=$tmp/heap LD_PRELOAD=$probe "$pierd" --state-dir "$tmp/s" --listen "127.0.0.1:$port" --log-level warn \
	--max-connections $((nclients + nshells + 64)) \
	--max-sessions $((nshells + 16)) >"$tmp/pierd.log" 2>&1 &
node_pid=$!
pids+=($node_pid)
# Listening means the node has made its state: only then is key show
# sure to read the node's key and not make one of its own.
for _ in $(seq 200); do
	ss -ltn 2>/dev/null | grep -q ":$port " && break
	sleep 0.05
done
key=$("$pierd" key show --state-dir "$tmp/s")
"$pier" join "$key" --name b1 >/dev/null || {
	echo "bench-node-load: join failed; the node's log:" >&2
	cat "$tmp/pierd.log" >&2; exit 1; }
ctr=pier-bl-$$
docker run -d -l pier.test=1 -l "$run_label" --name "$ctr" "$image" \
	sleep 3600 >/dev/null || exit 1
# One shell first, ended again: the node's first session loads what
# every later one shares (the screen worker, curl's handles).
if [ "$nshells" -gt 0 ]; then
	python3 "$here/bench-term-util.py" open 1 "$pier" "b1/$ctr" || exit 1
	"$pier" kill-session "b1/$("$pier" sessions b1 | awk 'NR == 2 {
		print $2 }')" >/dev/null || exit 1
fi
sleep 2
: >"$tmp/rows"
row before

t0=$(now_ms)
"$clients" -k "$key" -n "$nclients" -p "$ping" >"$tmp/clients.out" \
	2>"$tmp/clients.err" &
pids+=($!)
until grep -q '^ready' "$tmp/clients.out"; do
	kill -0 "${pids[-1]}" 2>/dev/null || {
		echo "bench-node-load: bench-clients failed:" >&2
		cat "$tmp/clients.err" >&2; exit 1; }
	sleep 0.1
done
t_clients=$(( $(now_ms) - t0 ))
sleep 2
row clients
sleep "$hold"
row clients-idle

if [ "$nshells" -gt 0 ]; then
	t0=$(now_ms)
	hold_shells 8 "$nshells" "$pier" shell "b1/$ctr"
	t_shells=$(( $(now_ms) - t0 ))
	pier_held=$held
	have=$("$pier" sessions b1 | awk 'NR > 1' | wc -l)
	[ "$have" -eq "$nshells" ] || { echo "bench-node-load: wanted" \
		"$nshells sessions, the node lists $have" >&2; exit 1; }
	sleep 2
	row shells
	sleep "$hold"
	row shells-idle
	read -r pier_pss pier_rss <<<"$(pss $pier_held)"
	grep -q '^ready' "$tmp/clients.out" && ! grep -q . "$tmp/clients.err" ||
		{ echo "bench-node-load: clients were lost:" >&2
		cat "$tmp/clients.err" >&2; exit 1; }
	exec 8>&-	# the pier shells go
	hold_shells 9 "$nshells" docker exec -it "$ctr" sh
	sleep 2
	read -r dk_pss dk_rss <<<"$(pss $held)"
	exec 9>&-
fi

python3 - "$tmp/rows" "$nclients" "$nshells" "$hold" \
    "$t_clients" "${t_shells:-0}" "${pier_pss:-0}" "${pier_rss:-0}" \
    "${dk_pss:-0}" "${dk_rss:-0}" "$(getconf CLK_TCK)" <<'EOF'
import sys
rows = {}
for line in open(sys.argv[1]):
	f = line.split()
	rows[f[0]] = [int(x) for x in f[1:]]
n, s, hold, tc, ts = (int(x) for x in sys.argv[2:7])
ppss, prss, dpss, drss, hz = (int(x) for x in sys.argv[7:12])
print("\n%-14s %10s %10s %10s %10s %12s %10s" % ("pierd", "VmRSS KiB",
    "RssAnon", "heap", "CPU s", "worker VmRSS", "worker CPU"))
for k, v in rows.items():
	print("%-14s %10d %10d %10d %10.2f %12d %10.2f" % (k, v[0], v[1],
	    v[6], v[2] / hz, v[3], v[5] / hz))
b, c, ci = rows["before"], rows["clients"], rows["clients-idle"]
print("\n%d clients connected in %.1f s; per connection: VmRSS %.1f KiB, "
    "RssAnon %.1f KiB, heap %.1f KiB, CPU %.2f ms (handshake and set-up)" %
    (n, tc / 1000, (c[0] - b[0]) / n, (c[1] - b[1]) / n, (c[6] - b[6]) / n,
    (c[2] - b[2]) / hz * 1000 / n))
print("idle %d s with %d clients: pierd CPU %.2f s (%.2f%% of a core)" %
    (hold, n, (ci[2] - c[2]) / hz, (ci[2] - c[2]) / hz / hold * 100))
if s == 0:
	sys.exit(0)
sh, si = rows["shells"], rows["shells-idle"]
print("%d shells opened in %.1f s; per shell: pierd VmRSS %.1f KiB, "
    "RssAnon %.1f KiB, heap %.1f KiB, worker VmRSS %.1f KiB, CPU %.2f ms "
    "(node) + %.2f ms (worker)" % (s, ts / 1000, (sh[0] - ci[0]) / s,
    (sh[1] - ci[1]) / s, (sh[6] - ci[6]) / s, (sh[3] - ci[3]) / s,
    (sh[2] - ci[2]) / hz * 1000 / s, (sh[5] - ci[5]) / hz * 1000 / s))
print("idle %d s with %d clients and %d shells: pierd CPU %.2f s (%.2f%% "
    "of a core), worker %.2f s" % (hold, n, s, (si[2] - sh[2]) / hz,
    (si[2] - sh[2]) / hz / hold * 100, (si[5] - sh[5]) / hz))
node = (sh[0] - ci[0]) + (sh[3] - ci[3])
print("\nclients of %d shells (KiB): %d `pier shell` PSS %d (RSS %d), "
    "%d `docker exec -it` PSS %d (RSS %d): pier/docker PSS %.2f" %
    (s, s, ppss, prss, s, dpss, drss, ppss / dpss))
print("the node's share of %d shells (pierd + worker VmRSS growth) %d "
    "KiB against %d docker CLI processes' PSS %d KiB: %.3f" %
    (s, node, s, dpss, node / dpss))
EOF
