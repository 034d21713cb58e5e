#!/usr/bin/env bash
# logs.select measured (docs/PERFORMANCE.md, "logs.select"), with two
# pierd nodes of BUILD (a release build) on the local engine:
#  1. lines/s through `pier logs -f` merging 20 busy containers, 10 read
#     through each node, for SECS seconds, against the lines the engine
#     logged in the same window;
#  2. --grep over about 100 MB of one container's history: pierd's and
#     dockerd's CPU for `pier logs --grep`, against `docker logs | grep
#     -E` on the host (the CLI's, grep's and dockerd's CPU), same run.
# Usage: tools/bench/bench-logs-select.sh BUILD [SECS] [MB]
# (PART=2 runs the second part only; LINES_EACH sets part 1's history.)
set -eu
build=${1:?usage: bench-logs-select.sh BUILD [SECS] [MB]}
secs=${2:-10}
mb=${3:-100}
image=${PIER_TEST_IMAGE:-pier-test/busybox:latest}
tag=bls$$
tmp=$(mktemp -d /tmp/bench-logs-select.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	docker ps -aq --filter "label=pier.bench=$tag" | xargs -r docker rm -f \
		>/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
export PIER_CONFIG_DIR=$tmp/client
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# CPU seconds (user + system) a process has used.
cpu() { awk '{printf "%.2f\n", ($14 + $15) / 100}' "/proc/$1/stat"; }
dockerd=$(pgrep -o -x dockerd)

for i in 1 2; do
	p=$(port)
	"$build/node/pierd" --state-dir "$tmp/s$i" --listen "127.0.0.1:$p" \
		>"$tmp/l$i" 2>&1 &
	pids+=($!)
	until grep -q ' ready: ' "$tmp/l$i"; do sleep 0.1; done
	"$build/tools/pier/pier" join "$("$build/node/pierd" key show \
		--state-dir "$tmp/s$i" --listen "127.0.0.1:$p")" --name "n$i" \
		>/dev/null
done
pier="$build/tools/pier/pier"

if [ "${PART:-all}" != 2 ]; then
# 1. Merged follow of 20 containers: first their history (the pipeline's
# capacity: nothing else runs), then 20 busy ones live.
n=${LINES_EACH:-50000}
targets=()
for i in $(seq 1 20); do
	docker run -d --network none --name "$tag-h$i" --label "pier.bench=$tag" \
		"$image" awk -v n="$n" -v c="$i" 'BEGIN { for (i = 1; i <= n; i++)
		printf "c%d line %d some words to make it a log line\n", c, i;
		fflush(); system("sleep 100000") }' >/dev/null
	targets+=("n$(( (i - 1) / 10 + 1 ))/$tag-h$i")
done
for i in $(seq 1 20); do
	until docker logs --tail 1 "$tag-h$i" 2>/dev/null | grep -q " $n some"
	do sleep 0.5; done
done
c1=$(cpu "${pids[0]}"); c2=$(cpu "${pids[1]}"); d0=$(cpu "$dockerd")
t0=$(date +%s.%N)
"$pier" logs -f "${targets[@]}" >"$tmp/f" 2>"$tmp/fe" &
fpid=$!
until [ "$(wc -l <"$tmp/f")" -ge $((20 * n)) ]; do sleep 0.2; done
t1=$(date +%s.%N)
pc=$(cpu "$fpid")
kill -INT "$fpid"; wait "$fpid" || true
d1=$(cpu "$dockerd")
echo "merged follow of 20 containers' history on 2 nodes ($((20 * n))" \
	"lines): $(awk -v a="$t0" -v b="$t1" -v n=$((20 * n)) \
	'BEGIN { printf "%.2f s, %.0f lines/s", b - a, n / (b - a) }');" \
	"CPU: pierd n1 $(awk -v a="$c1" -v b="$(cpu "${pids[0]}")" \
	'BEGIN { printf "%.2f", b - a }') s, n2 $(awk -v a="$c2" \
	-v b="$(cpu "${pids[1]}")" 'BEGIN { printf "%.2f", b - a }') s," \
	"pier $pc s, dockerd $(awk -v a="$d0" -v b="$d1" \
	'BEGIN { printf "%.2f", b - a }') s"
# The engine's own ceiling: docker logs of the same 20, all at once.
d0=$(cpu "$dockerd"); t0=$(date +%s.%N)
dl=()
for i in $(seq 1 20); do
	docker logs "$tag-h$i" >/dev/null 2>&1 &
	dl+=($!)
done
wait "${dl[@]}"
t1=$(date +%s.%N); d1=$(cpu "$dockerd")
echo "docker logs of the same 20 at once: $(awk -v a="$t0" -v b="$t1" \
	-v n=$((20 * n)) 'BEGIN { printf "%.2f s, %.0f lines/s", b - a,
	n / (b - a) }'), dockerd $(awk -v a="$d0" -v b="$d1" \
	'BEGIN { printf "%.2f", b - a }') s CPU"
docker ps -aq --filter "label=pier.bench=$tag" | xargs -r docker rm -f \
	>/dev/null
targets=()
for i in $(seq 1 20); do
	docker run -d --network none --name "$tag-$i" --label "pier.bench=$tag" \
		"$image" sh -c 'i=0; while true; do i=$((i+1));
		echo "c$0 line $i some words to make it a log line"; done' "$i" \
		>/dev/null
	targets+=("n$(( (i - 1) / 10 + 1 ))/$tag-$i")
done
sleep 2
start=$(date +%s)
"$pier" logs -f --tail 0 "${targets[@]}" >"$tmp/f" 2>"$tmp/fe" &
fpid=$!
sleep "$secs"
kill -INT "$fpid"; wait "$fpid" || true
end=$(date +%s)
got=$(wc -l <"$tmp/f")
logged=0
for i in $(seq 1 20); do
	n=$(docker logs --since "$start" --until "$end" "$tag-$i" 2>/dev/null |
		wc -l)
	logged=$((logged + n))
done
echo "merged follow of 20 busy containers on 2 nodes, $secs s:" \
	"pier printed $got lines ($((got / secs)) lines/s); the engine" \
	"logged about $logged in the window ($((logged / secs))/s)"
docker ps -aq --filter "label=pier.bench=$tag" | xargs -r docker rm -f \
	>/dev/null

fi

# 2. --grep over MB of history.
lines=$((mb * 10000))
docker run -d --network none --name "$tag-big" --label "pier.bench=$tag" \
	"$image" awk -v n="$lines" 'BEGIN { for (i = 1; i <= n; i++)
	printf "%s %08d GET /api/users/4711 took 12ms cache=miss user=bob " \
	"padding padding padding\n", (i % 1000 == 0 ? "ERROR" : "ok"), i;
	fflush(); system("sleep 100000") }' >/dev/null
until docker logs --tail 1 "$tag-big" 2>/dev/null |
	grep -q " $(printf %08d "$lines") "; do sleep 1; done
size=$(docker inspect -f '{{.LogPath}}' "$tag-big" | xargs du -m | cut -f1)
pat='^ERROR [0-9]+ GET'
echo "--grep over ${mb} MB of text ($lines lines, ${size} MB json-file):"
# a - b with two decimals.
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
# The children's CPU seconds from bash's `times` (its second line).
kids() {
	sed -n 2p "$1" | tr 'ms' '  ' | awk '{ print $1 * 60 + $2 + $3 * 60 + $4 }'
}
for run in 1 2; do
	n1=$(cpu "${pids[0]}"); d0=$(cpu "$dockerd"); t0=$(date +%s.%N)
	c=$("$pier" logs "n1/$tag-big" --grep "$pat" | wc -l)
	t1=$(date +%s.%N); n2=$(cpu "${pids[0]}"); d1=$(cpu "$dockerd")
	echo "  pier --grep:           $(sub "$t1" "$t0") s wall," \
		"pierd $(sub "$n2" "$n1") s CPU, dockerd $(sub "$d1" "$d0") s" \
		"CPU, $c lines"
	d0=$(cpu "$dockerd"); t0=$(date +%s.%N)
	c=$(bash -c 'docker logs "$1" 2>/dev/null | grep -cE "$2"; times >"$3"' \
		_ "$tag-big" "$pat" "$tmp/times")
	t1=$(date +%s.%N); d1=$(cpu "$dockerd")
	echo "  docker logs | grep -E: $(sub "$t1" "$t0") s wall," \
		"CLI + grep $(kids "$tmp/times") s CPU, dockerd" \
		"$(sub "$d1" "$d0") s CPU, $c lines"
done
