#!/usr/bin/env bash
# Issue 4's benchmark, in one run on one machine against one engine:
#
#   1. `pier ps -a` (one node) and `docker ps -a` with 10 and with 200
#      bench containers, and `pier ps -a` across 2 nodes (two pierd on the
#      same engine, so that run lists every container twice): hyperfine
#      when installed, else a loop; medians, p90, the ratio pier/docker
#      and how many runs failed (timed all the same; the engine is busy);
#   2. the node's resident memory (VmRSS, and its anonymous and file-backed
#      parts, from /proc/PID/status): fresh (started, no client yet: the
#      node has not loaded libcurl), idle after one join, after one
#      `pier ps` (libcurl loaded: it stays), with 100 connected clients
#      (tools/bench/bench-clients: 100 Noise connections that ping), and
#      while one `pier stats` streams all 200 running containers at 1 Hz,
#      with the node's CPU use over that window (utime + stime from
#      /proc/PID/stat).
#
# The bench containers run `sleep 3600` from pier-test/busybox:latest,
# carry pier.bench=1 and pier.bench.run=PID, and are removed at the end
# (also on failure or Ctrl-C). Other containers on the engine are counted
# in the totals printed, not touched.
#
# Usage: tools/bench/bench-ps.sh [-b BUILD] [-r RUNS] [-s SECONDS] [-m]
#   -b BUILD    a build directory with node/pierd, tools/pier/pier and
#               tools/bench/bench-clients (default build-rel; use a build
#               without sanitizers: meson setup build-rel
#               --buildtype=release && ninja -C build-rel node/pierd
#               tools/pier/pier tools/bench/bench-clients)
#   -r RUNS     timed runs per command (default 30)
#   -s SECONDS  the stats window (default 30)
#   -m          memory only: fresh, after a join, after one ps and with
#               100 clients; no bench containers, timings or stats
set -u

build=build-rel
runs=30
window=30
memonly=0
while getopts b:r:s:m o; do
	case $o in
	b) build=$OPTARG ;;
	r) runs=$OPTARG ;;
	s) window=$OPTARG ;;
	m) memonly=1 ;;
	*) echo "usage: $0 [-b BUILD] [-r RUNS] [-s SECONDS] [-m]" >&2
		exit 2 ;;
	esac
done
build=$(cd "$build" 2>/dev/null && pwd) || {
	echo "bench-ps: no build directory $build" >&2; exit 2; }
pierd=$build/node/pierd
pier=$build/tools/pier/pier
clients=$build/tools/bench/bench-clients
for f in "$pierd" "$pier" "$clients"; do
	[ -x "$f" ] || { echo "bench-ps: $f is missing; build it first" >&2
		exit 2; }
done
docker version >/dev/null 2>&1 || {
	echo "bench-ps: no Docker engine (docker version fails)" >&2; exit 1; }
image=pier-test/busybox:latest
docker image inspect $image >/dev/null 2>&1 || {
	echo "bench-ps: no $image; run tools/docker-engine first" >&2; exit 1; }

tmp=$(mktemp -d /tmp/pier-bench-ps.XXXXXX)
run_label=pier.bench.run=$$
pids=()
cleanup() {
	local q
	for q in "${pids[@]}"; do
		kill "$q" 2>/dev/null && wait "$q" 2>/dev/null
	done
	docker ps -aq --filter "label=$run_label" | xargs -r -n 50 \
		docker rm -f >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export PIER_CONFIG_DIR=$tmp/client
clk=$(getconf CLK_TCK)

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# start_node STATE LOG: a pierd in the background; its pid in $node_pid,
# its port in $port.
start_node() {
	port=$(free_port)
	"$pierd" --state-dir "$1" --listen "127.0.0.1:$port" \
		--log-level info >"$2" 2>&1 &
	node_pid=$!
	pids+=($node_pid)
	# Not `pierd key show` before it listens: that could make a key of
	# its own while the node is still making its state.
	for _ in $(seq 200); do
		ss -ltn 2>/dev/null | grep -q ":$port " && return 0
		sleep 0.05
	done
	echo "bench-ps: pierd did not start; its log:" >&2
	cat "$2" >&2
	exit 1
}
# mem PID: "VmRSS RssAnon RssFile" in KiB.
mem() {
	awk '/^(VmRSS|RssAnon|RssFile):/ { printf "%s ", $2 }' \
		"/proc/$1/status"
}
# clients100 VAR STATE PID PORT: connects 100 clients to the node of STATE
# (process PID, port PORT) and, once a ping round has gone by, sets VAR to
# its "VmRSS RssAnon RssFile"; then disconnects them.
clients100() {
	local cpid crc
	: >"$tmp/clients.out"
	"$clients" -k "$("$pierd" key show --state-dir "$2")" -n 100 \
		>"$tmp/clients.out" 2>"$tmp/clients.err" &
	cpid=$!
	pids+=($cpid)
	for _ in $(seq 600); do
		grep -q '^ready' "$tmp/clients.out" && break
		kill -0 $cpid 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^ready 100' "$tmp/clients.out" || {
		echo "bench-ps: bench-clients did not connect 100:" >&2
		cat "$tmp/clients.out" "$tmp/clients.err" >&2; exit 1; }
	sleep 6		# a ping round has gone by
	printf -v "$1" '%s' "$(mem "$3")"
	conns=$(ss -Htn state established "( sport = :$4 )" | wc -l)
	kill -TERM $cpid; wait $cpid; crc=$?
	tail -1 "$tmp/clients.out" | sed 's/^/bench-clients: /'
	[ $crc -eq 0 ] || { echo "bench-ps: bench-clients failed" >&2; exit 1; }
}
# cpu_ticks PID: utime + stime in clock ticks.
cpu_ticks() {
	# The name in field 2 is in parentheses and may hold spaces.
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
# mib KIB: KiB as MiB with one decimal.
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# bench_containers N: makes (or keeps) N running bench containers.
bench_containers() {
	local have need
	have=$(docker ps -q --filter "label=$run_label" | wc -l)
	need=$(($1 - have))
	[ $need -gt 0 ] || return 0
	seq $need | xargs -P 8 -I{} docker run -d -l pier.bench=1 \
		-l "$run_label" "$image" sleep 3600 >/dev/null
	have=$(docker ps -q --filter "label=$run_label" | wc -l)
	[ "$have" -eq "$1" ] || {
		echo "bench-ps: wanted $1 bench containers, have $have" >&2
		exit 1; }
}
# timeit NAME CMD: times CMD (a shell command) $runs times; appends
# "NAME median_ms p90_ms min_ms failed_runs" to $tmp/times. A run that
# fails (the engine is shared, and busy) is counted and timed all the
# same; its stderr goes to $tmp/err-NAME.
timeit() {
	local name=$1 cmd=$2 fails=0
	if command -v hyperfine >/dev/null; then
		hyperfine -i --warmup 3 --runs "$runs" \
			--export-json "$tmp/h.json" \
			"$cmd 2>>$tmp/err-$name" >/dev/null 2>&1 || {
			echo "bench-ps: hyperfine failed on $cmd" >&2; exit 1; }
		python3 - "$tmp/h.json" "$name" >>"$tmp/times" <<-'EOF'
			import json, sys
			r = json.load(open(sys.argv[1]))["results"][0]
			t = sorted(r["times"])
			bad = sum(1 for c in r.get("exit_codes", []) if c != 0)
			p90 = t[min(len(t) - 1, int(round(0.9 * (len(t) - 1))))]
			med = (t[(len(t) - 1) // 2] + t[len(t) // 2]) / 2
			print(sys.argv[2], "%.1f %.1f %.1f %d" %
			    (med * 1e3, p90 * 1e3, t[0] * 1e3, bad))
		EOF
	else
		# The clock is bash's own and the command runs from this
		# shell, as hyperfine subtracts its shell's start: a `bash -c`
		# and two `date` per run added 2-2.5 ms to every command.
		: >"$tmp/t"
		for i in $(seq $((runs + 3))); do
			s=${EPOCHREALTIME/./}
			eval "$cmd" >/dev/null 2>>"$tmp/err-$name" ||
				{ [ "$i" -gt 3 ] && fails=$((fails + 1)); }
			e=${EPOCHREALTIME/./}
			[ "$i" -gt 3 ] && echo $((e - s)) >>"$tmp/t"
		done
		sort -n "$tmp/t" | awk -v n="$name" -v f=$fails '
			{ t[NR] = $1 } END {
			m = (t[int((NR + 1) / 2)] + t[int(NR / 2) + 1]) / 2
			p = t[int(0.9 * (NR - 1) + 1.5)]
			printf "%s %.1f %.1f %.1f %d\n", n, m / 1e3, p / 1e3,
			    t[1] / 1e3, f }' >>"$tmp/times"
	fi
	[ "$(field "$name" 5)" -lt "$runs" ] || {
		echo "bench-ps: every run of $cmd failed:" >&2
		head -5 "$tmp/err-$name" >&2; exit 1; }
}
# ratio A B: A / B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
field() { awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$tmp/times"; }

echo "bench-ps: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores," \
	"load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"$(docker version -f 'engine {{.Server.Version}}' 2>/dev/null)," \
	"$(command -v hyperfine >/dev/null && hyperfine --version ||
	echo 'no hyperfine (shell loop)'), $runs runs each"

start_node "$tmp/s1" "$tmp/pierd1.log"; p1=$node_pid; port1=$port
start_node "$tmp/s2" "$tmp/pierd2.log"; p2=$node_pid; port2=$port
sleep 2
read -r rss_fresh anon_fresh file_fresh <<<"$(mem $p1)"
curl_fresh=$(grep -c 'libcurl' "/proc/$p1/maps")
"$pier" join "$("$pierd" key show --state-dir "$tmp/s1")" --name n1 \
	>/dev/null || exit 1
"$pier" join "$("$pierd" key show --state-dir "$tmp/s2")" --name n2 \
	>/dev/null || exit 1
sleep 2
read -r rss_idle anon_idle file_idle <<<"$(mem $p1)"
"$pier" ps -a n1 >/dev/null || exit 1
sleep 2
read -r rss_ps1 anon_ps1 file_ps1 <<<"$(mem $p1)"
curl_ps1=$(grep -c 'libcurl' "/proc/$p1/maps")

counts="10 200"
[ $memonly -eq 1 ] && counts=
for count in $counts; do
	bench_containers $count
	total=$(docker ps -aq | wc -l)
	echo "$count bench containers running; the engine holds $total"
	echo "$count $total" >>"$tmp/counts"
	timeit "docker-$count" "docker ps -a"
	timeit "pier1-$count" "$pier ps -a n1"
	timeit "pier2-$count" "$pier ps -a n1 n2"
done
[ $memonly -eq 1 ] || sleep 2
read -r rss_after anon_after file_after <<<"$(mem $p1)"

clients100 c100 "$tmp/s1" $p1 $port1
read -r rss_100 anon_100 file_100 <<<"$c100"
# -m: and 100 clients on n2, joined but never asked about Docker.
if [ $memonly -eq 1 ]; then
	clients100 c100n "$tmp/s2" $p2 $port2
	read -r rss_100n anon_100n file_100n <<<"$c100n"
	curl_100n=$(grep -c 'libcurl' "/proc/$p2/maps")
fi

# mem_early: the memory rows up to the ps runs.
mem_early() {
	echo "pierd n1 memory (MiB; VmRSS = RssAnon + RssFile + RssShmem):"
	printf '%-44s %7s %8s %8s\n' state VmRSS RssAnon RssFile
	printf '%-44s %7s %8s %8s\n' \
		"fresh, no client yet (libcurl maps: $curl_fresh)" \
		"$(mib $rss_fresh)" "$(mib $anon_fresh)" "$(mib $file_fresh)"
	printf '%-44s %7s %8s %8s\n' "idle, after start and one join" \
		"$(mib $rss_idle)" "$(mib $anon_idle)" "$(mib $file_idle)"
	printf '%-44s %7s %8s %8s\n' \
		"idle, after one pier ps (libcurl maps: $curl_ps1)" \
		"$(mib $rss_ps1)" "$(mib $anon_ps1)" "$(mib $file_ps1)"
}
if [ $memonly -eq 1 ]; then
	echo
	mem_early
	printf '%-44s %7s %8s %8s\n' "100 clients connected" \
		"$(mib $rss_100)" "$(mib $anon_100)" "$(mib $file_100)"
	echo "pierd n2, joined, never asked about Docker (libcurl maps:" \
		"$curl_100n):"
	printf '%-44s %7s %8s %8s\n' "100 clients connected ($conns TCP)" \
		"$(mib $rss_100n)" "$(mib $anon_100n)" "$(mib $file_100n)"
	exit 0
fi

# Stats for 200 running containers to one client at 1 Hz.
running=$(docker ps -q | wc -l)
# A client that knows only n1, so the stats of every running container
# come from n1 alone.
PIER_CONFIG_DIR=$tmp/client1 "$pier" join \
	"$("$pierd" key show --state-dir "$tmp/s1")" --name n1 >/dev/null || exit 1
PIER_CONFIG_DIR=$tmp/client1 "$pier" stats --json \
	>"$tmp/stats.out" 2>"$tmp/stats.err" &
spid=$!
pids+=($spid)
sleep 8		# the node opens one Docker stats stream per container
l0=$(wc -l <"$tmp/stats.out")
c0=$(cpu_ticks $p1)
t0=$(date +%s%N)
# The engine's own pace: a direct subscriber of one bench container.
probe=$(docker ps -q --filter "label=$run_label" | head -1)
timeout 10 curl -sN --unix-socket /var/run/docker.sock \
	"http://d/containers/$probe/stats" >"$tmp/probe.out" 2>/dev/null
sleep $((window > 10 ? window - 10 : 0))
c1=$(cpu_ticks $p1)
t1=$(date +%s%N)
l1=$(wc -l <"$tmp/stats.out")
read -r rss_stats anon_stats file_stats <<<"$(mem $p1)"
kill -0 $spid 2>/dev/null || {
	wait $spid
	echo "bench-ps: pier stats ended early (exit $?), after" \
		"$(wc -l <"$tmp/stats.out") lines; its stderr:" >&2
	cat "$tmp/stats.err" >&2
	echo "its last line: $(tail -n 1 "$tmp/stats.out")" >&2
	echo "the node's log:" >&2
	tail -n 20 "$tmp/pierd1.log" >&2
	exit 1; }
kill -INT $spid; wait $spid
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
cpu=$(awk -v d=$((c1 - c0)) -v hz="$clk" -v s="$secs" \
	'BEGIN { printf "%.2f", d / hz / s * 100 }')
rate=$(awk -v d=$((l1 - l0)) -v s="$secs" 'BEGIN { printf "%.0f", d / s }')
probe_n=$(grep -c . "$tmp/probe.out")
per_sample=$(awk -v d=$((c1 - c0)) -v hz="$clk" -v n=$((l1 - l0)) \
	'BEGIN { printf "%.0f", (n > 0 ? d / hz / n * 1e6 : 0) }')
at_1hz=$(awk -v us="$per_sample" -v r="$running" \
	'BEGIN { printf "%.2f", us * r / 1e6 * 100 }')

echo
echo "pier ps -a against docker ps -a (milliseconds; median, p90, min;" \
	"failed runs of $runs):"
printf '%-34s %9s %9s %9s %12s %7s\n' command median p90 min \
	"pier/docker" failed
for count in 10 200; do
	total=$(awk -v c=$count '$1 == c { print $2 }' "$tmp/counts")
	dm=$(field docker-$count 2)
	for w in docker pier1 pier2; do
		case $w in
		docker) label="docker ps -a" ;;
		pier1) label="pier ps -a n1" ;;
		pier2) label="pier ps -a n1 n2" ;;
		esac
		printf '%-34s %9s %9s %9s %12s %7s\n' \
			"$label ($count, engine $total)" \
			"$(field $w-$count 2)" "$(field $w-$count 3)" \
			"$(field $w-$count 4)" \
			"$(ratio "$(field $w-$count 2)" "$dm")" \
			"$(field $w-$count 5)"
	done
done
for f in "$tmp"/err-*; do
	[ -s "$f" ] || continue
	echo "stderr of failed runs of ${f##*/err-}: $(sort "$f" | uniq -c |
		sort -rn | head -3 | tr -s ' ' | tr '\n' ';')"
done
echo
mem_early
printf '%-44s %7s %8s %8s\n' "idle, after the ps runs" \
	"$(mib $rss_after)" "$(mib $anon_after)" "$(mib $file_after)"
printf '%-44s %7s %8s %8s\n' "100 clients connected ($conns TCP)" \
	"$(mib $rss_100)" "$(mib $anon_100)" "$(mib $file_100)"
printf '%-44s %7s %8s %8s\n' "streaming stats ($running running)" \
	"$(mib $rss_stats)" "$(mib $anon_stats)" "$(mib $file_stats)"
echo
echo "pierd n1 CPU while streaming stats for $running running containers" \
	"to one client: $cpu% of one core over ${secs}s ($((c1 - c0)) ticks" \
	"at $clk Hz); the client got $rate samples/s; the engine gave a" \
	"direct subscriber of one container $probe_n samples in 10 s;" \
	"about $per_sample us of node CPU per sample, so $at_1hz% of one core" \
	"for $running samples/s (every container at 1 Hz)"
