#!/usr/bin/env bash
# `pier ps -a` across many nodes against `docker ps -a`, in one run on one
# machine against one engine: N pierd on 127.0.0.1 (own state
# directories and ports, all on the same engine, each answering from its
# model of the engine's containers once warmed by a first `pier ps`), one
# client joined to all of them. For each count of nodes (1, 10, 50 by
# default) it times, in alternating rounds so both see the same load:
#
#   docker ps -a              the engine's own list, through the CLI
#   pier ps -a n1 ... nN      every node at once (connections in parallel)
#
# and prints the medians, p90s, the ratio pier/docker and the ratio to
# one node. The engine's containers are whatever it holds (printed);
# nothing is created. Every pierd is stopped at the end.
#
# Usage: tools/bench/bench-fanout.sh [-b BUILD] [-r ROUNDS] [-n "1 10 50"]
#   -b BUILD   a release build with node/pierd and tools/pier/pier
#              (default build-rel)
#   -r ROUNDS  timed rounds per count (default 20, after 2 warm-ups)
#   -n COUNTS  node counts, ascending (default "1 10 50")
set -u

build=build-rel
rounds=20
counts="1 10 50"
while getopts b:r:n: o; do
	case $o in
	b) build=$OPTARG ;;
	r) rounds=$OPTARG ;;
	n) counts=$OPTARG ;;
	*) echo "usage: $0 [-b BUILD] [-r ROUNDS] [-n COUNTS]" >&2; exit 2 ;;
	esac
done
build=$(cd "$build" 2>/dev/null && pwd) || {
	echo "bench-fanout: no build directory $build" >&2; exit 2; }
pierd=$build/node/pierd
pier=$build/tools/pier/pier
for f in "$pierd" "$pier"; do
	[ -x "$f" ] || { echo "bench-fanout: $f is missing" >&2; exit 2; }
done
docker version >/dev/null 2>&1 || {
	echo "bench-fanout: no Docker engine" >&2; exit 1; }

tmp=$(mktemp -d /tmp/pier-bench-fanout.XXXXXX)
pids=()
cleanup() {
	local q
	for q in "${pids[@]}"; do
		kill "$q" 2>/dev/null && wait "$q" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export PIER_CONFIG_DIR=$tmp/client

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# start_node I: pierd nI, joined as nI.
start_node() {
	local port st=$tmp/s$1 lg=$tmp/pierd$1.log
	port=$(free_port)
	: >"$lg"
	"$pierd" --state-dir "$st" --listen "127.0.0.1:$port" \
		--log-level info >"$lg" 2>&1 &
	pids+=($!)
	for _ in $(seq 600); do
		grep -q ' ready: ' "$lg" && break
		sleep 0.05
	done
	for _ in 1 2 3; do
		"$pier" join "$("$pierd" key show --state-dir "$st" \
			--listen "127.0.0.1:$port")" --name "n$1" >/dev/null \
			2>>"$tmp/join.err" && return 0
		sleep 1
	done
	echo "bench-fanout: join n$1 failed:" >&2
	cat "$tmp/join.err" "$lg" >&2
	exit 1
}
# now_us: the wall clock in microseconds.
now_us() { echo $((${EPOCHREALTIME/./})); }
# stats FILE: "median p90" in ms of the microsecond times in FILE.
stats() {
	sort -n "$1" | awk '{ t[NR] = $1 } END {
		m = (t[int((NR + 1) / 2)] + t[int(NR / 2) + 1]) / 2
		p = t[int(0.9 * (NR - 1) + 1.5)]
		printf "%.1f %.1f", m / 1e3, p / 1e3 }'
}

echo "bench-fanout: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores," \
	"load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"engine holds $(docker ps -aq | wc -l) containers, $rounds rounds"
printf '%-6s %12s %12s %12s %8s %10s %6s\n' nodes "docker ms" "pier ms" \
	"pier p90" "ratio" "vs 1 node" "fails"
have=0
base=
for count in $counts; do
	while [ $have -lt "$count" ]; do
		have=$((have + 1))
		start_node $have
	done
	nodes=$(seq -f 'n%g' 1 "$count" | tr '\n' ' ')
	# Warm-ups: each node starts its model with its first Docker call.
	for _ in 1 2; do
		$pier ps -a $nodes >/dev/null 2>&1
		docker ps -a >/dev/null 2>&1
	done
	sleep 1
	: >"$tmp/d"; : >"$tmp/p"
	fails=0
	for r in $(seq "$rounds"); do
		# Alternate which goes first.
		for w in $([ $((r % 2)) -eq 0 ] && echo d p || echo p d); do
			s=$(now_us)
			if [ "$w" = d ]; then
				docker ps -a >/dev/null 2>&1
			else
				$pier ps -a $nodes >/dev/null 2>>"$tmp/err" ||
					fails=$((fails + 1))
			fi
			echo $(($(now_us) - s)) >>"$tmp/$w"
		done
	done
	read -r dm _ <<<"$(stats "$tmp/d")"
	read -r pm pp <<<"$(stats "$tmp/p")"
	[ -n "$base" ] || base=$pm
	printf '%-6s %12s %12s %12s %8s %10s %6s\n' "$count" "$dm" "$pm" \
		"$pp" "$(awk -v a="$pm" -v b="$dm" 'BEGIN{printf "%.2f", a/b}')" \
		"$(awk -v a="$pm" -v b="$base" 'BEGIN{printf "%.2f", a/b}')" \
		"$fails"
done
[ -s "$tmp/err" ] && { echo "stderr of failed runs:"; sort "$tmp/err" |
	uniq -c | head -5; }
exit 0
