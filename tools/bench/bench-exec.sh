#!/usr/bin/env bash
# Bulk output through pier against docker, in one run on one machine
# against one engine and one container. With -w exec (the default), plain
# `pier exec` (no TTY) against `docker exec`; each round runs
#
#   docker exec CTR head -c BYTES /dev/zero          >/dev/null
#   pier exec b1/CTR head -c BYTES /dev/zero         >/dev/null
#
# With -w logs, a whole log of BYTES in 100-byte lines, written once by a
# container that then exits (the json-file driver's store):
#
#   docker logs CTR                                  >/dev/null
#   pier logs b1/CTR                                 >/dev/null
#
# With -w cp-out and -w cp-in, a file of BYTES random bytes copied out of
# the container into a fresh local path, or into the container from a
# local file:
#
#   docker cp CTR:/f DIR/out-d      docker cp FILE CTR:/in-d
#   pier cp b1/CTR:/f DIR/out-p     pier cp FILE b1/CTR:/in-p
#
# (the bench first checks that both copies hold the same bytes). With -s
# each round also runs the docker CLI through ssh to this machine
# (`docker -H ssh://root@127.0.0.1:PORT`, what people use to reach a
# remote engine without opening its port). Which goes first rotates.
# Each round records the wall time of each, the CPU of each client (user
# + system, from /usr/bin/time) and the CPU the node spent during pier's
# run (from /proc/PID/stat). Prints every round, the medians, and pier's
# rate as a share of docker's (and of docker over ssh's), the median of
# the per-round ratios, so both sides of a ratio saw the same minute.
#
# One release pierd on 127.0.0.1 with its own state, a client joined to
# it, and a container from pier-test/busybox:latest labelled pier.test=1
# and pier.bench.run=PID; all removed at the end.
#
# Usage: tools/bench/bench-exec.sh [-b BUILD] [-r ROUNDS] [-m MIB] [-w W] [-s]
#   -b BUILD   a release build with node/pierd and tools/pier/pier
#              (default build-rel)
#   -r ROUNDS  rounds (default 7)
#   -m MIB     output per run in MiB (default 64)
#   -w W       exec (default), logs, cp-out or cp-in
#   -s         also the docker CLI through ssh (`docker -H ssh://`, to
#              a private sshd: tools/bench/bench-sshd.sh) each round
set -u
. "$(dirname "$0")/bench-sshd.sh"

build=build-rel
rounds=7
mib=64
work=exec
usage="usage: $0 [-b BUILD] [-r ROUNDS] [-m MIB] [-w exec|logs|cp-out|cp-in] [-s]"
ssh=0
while getopts b:r:m:w:s o; do
	case $o in
	b) build=$OPTARG ;;
	r) rounds=$OPTARG ;;
	m) mib=$OPTARG ;;
	w) work=$OPTARG ;;
	s) ssh=1 ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
done
case $work in
exec|logs|cp-out|cp-in) ;;
*) echo "$usage" >&2; exit 2 ;;
esac
build=$(cd "$build" 2>/dev/null && pwd) || {
	echo "bench-exec: no build directory $build" >&2; exit 2; }
pierd=$build/node/pierd
pier=$build/tools/pier/pier
for f in "$pierd" "$pier"; do
	[ -x "$f" ] || { echo "bench-exec: $f is missing" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench-exec: no /usr/bin/time" >&2; exit 1; }
docker version >/dev/null 2>&1 || {
	echo "bench-exec: no Docker engine (docker version fails)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/pier-bench-exec.XXXXXX)
label=pier.bench.run=$$
node_pid=
ssh_pid=
ssh_host=
cleanup() {
	[ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null &&
		wait "$node_pid" 2>/dev/null
	[ -n "$ssh_pid" ] && kill "$ssh_pid" 2>/dev/null &&
		wait "$ssh_pid" 2>/dev/null
	docker ps -aq --filter "label=$label" | xargs -r docker rm -f \
		>/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export PIER_CONFIG_DIR=$tmp/client
[ $ssh = 1 ] && bench_sshd "$tmp/ssh" bench-exec

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$pierd" --state-dir "$tmp/s" --listen "127.0.0.1:$port" --log-level warn \
	>"$tmp/pierd.log" 2>&1 &
node_pid=$!
for _ in $(seq 200); do
	ss -ltn 2>/dev/null | grep -q ":$port " && break
	sleep 0.05
done
"$pier" join "$("$pierd" key show --state-dir "$tmp/s")" --name b1 \
	>/dev/null || { echo "bench-exec: join failed" >&2; exit 1; }
ctr=pier-bx-$$
bytes=$((mib * 1048576))
if [ "$work" != logs ]; then
	docker run -d -l pier.test=1 -l "$label" --name "$ctr" \
		pier-test/busybox:latest sleep 3600 >/dev/null || exit 1
	"$pier" exec "b1/$ctr" true || exit 1	# the node's model, warm
	if [ "$work" = cp-out ]; then
		docker exec "$ctr" sh -c "head -c $bytes /dev/urandom >/f" ||
			exit 1
	elif [ "$work" = cp-in ]; then
		head -c "$bytes" /dev/urandom >"$tmp/src" || exit 1
	fi
	if [ "$work" = cp-out ]; then	# both copies, the same bytes
		docker cp "$ctr:/f" "$tmp/out-d" && "$pier" cp "b1/$ctr:/f" "$tmp/out-p" &&
			cmp -s "$tmp/out-d" "$tmp/out-p" && [ "$(stat -c %s "$tmp/out-p")" = "$bytes" ] ||
			{ echo "bench-exec: pier cp out differs" >&2; exit 1; }
	elif [ "$work" = cp-in ]; then
		docker cp "$tmp/src" "$ctr:/in-d" &&
			"$pier" cp "$tmp/src" "b1/$ctr:/in-p" &&
			docker exec "$ctr" cmp /in-d /in-p ||
			{ echo "bench-exec: pier cp in differs" >&2; exit 1; }
	fi
else
	# 99 characters and a newline a line, then the container exits.
	docker run -d -l pier.test=1 -l "$label" --name "$ctr" \
		pier-test/busybox:latest sh -c "yes $(printf '%098d' 0)x |
		head -c $bytes" >/dev/null || exit 1
	[ "$(docker wait "$ctr")" = 0 ] || exit 1
	n=$("$pier" logs "b1/$ctr" | wc -c)
	[ "$n" = "$bytes" ] || {
		echo "bench-exec: pier logs gave $n bytes, not $bytes" >&2
		exit 1; }
fi

# ticks PID: the process's user + system clock ticks.
ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
# client WHO: the command of one run, one word a line (docker, pier, or
# ssh: the docker CLI through the private sshd).
client() {
	local cl=(docker) t=$ctr out=d
	case $1 in
	pier) cl=("$pier"); t=b1/$ctr; out=p ;;
	ssh) cl=(env "PATH=$ssh_path" docker -H "$ssh_host"); out=s ;;
	esac
	case $work in
	exec) printf '%s\n' "${cl[@]}" exec "$t" head -c $bytes /dev/zero ;;
	logs) printf '%s\n' "${cl[@]}" logs "$t" ;;
	cp-out) printf '%s\n' "${cl[@]}" cp "$t:/f" "$tmp/out-$out" ;;
	cp-in) printf '%s\n' "${cl[@]}" cp "$tmp/src" "$t:/in-$out" ;;
	esac
}
# run WHO: "wall_s cpu_ms [node_ms]" of one run (node_ms for pier).
run() {
	local a b out cmd
	mapfile -t cmd < <(client "$1")
	rm -f "$tmp/out-d" "$tmp/out-p" "$tmp/out-s"
	a=$(ticks "$node_pid")
	out=$( { /usr/bin/time -f '%e %U %S' "${cmd[@]}" >/dev/null; } 2>&1)
	b=$(ticks "$node_pid")
	echo "$out" | tail -n 1 | awk -v n=$(( (b - a) * 1000 / $(getconf CLK_TCK) )) \
		-v who="$1" '{ printf "%s %d", $1, ($2 + $3) * 1000;
		if (who == "pier") printf " %d", n; printf "\n" }'
}

echo "bench-exec: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores," \
	"load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"commit $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null)," \
	"$work, $mib MiB per run"
# Columns: docker wall, cpu; pier wall, cpu, node cpu; [ssh wall, cpu].
fmt='%-6s %10.2f %9d %10.2f %9d %9d %7.2fx'
cols=(round "docker s" "cpu ms" "pier s" "cpu ms" "node ms" rate)
if [ -n "$ssh_host" ]; then
	fmt="$fmt %10.2f %9d %7.2fx"
	cols+=("ssh s" "cpu ms" "vs ssh")
	printf '%-6s %10s %9s %10s %9s %9s %8s %10s %9s %8s\n' "${cols[@]}"
else
	printf '%-6s %10s %9s %10s %9s %9s %8s\n' "${cols[@]}"
fi
: >"$tmp/rows"
# row: one round's numbers as the table prints them.
row() {
	awk -v fmt="$fmt\n" -v ssh="$ssh_host" '{
		if (ssh != "")
			printf fmt, $1, $2, $3, $4, $5, $6, $2 / $4, $7, $8, $7 / $4
		else
			printf fmt, $1, $2, $3, $4, $5, $6, $2 / $4 }'
}
for r in $(seq "$rounds"); do
	s=
	if [ -z "$ssh_host" ] && [ $((r % 2)) -eq 1 ]; then
		d=$(run docker); p=$(run pier)
	elif [ -z "$ssh_host" ]; then
		p=$(run pier); d=$(run docker)
	else
		case $((r % 3)) in
		1) d=$(run docker); p=$(run pier); s=$(run ssh) ;;
		2) p=$(run pier); s=$(run ssh); d=$(run docker) ;;
		0) s=$(run ssh); d=$(run docker); p=$(run pier) ;;
		esac
	fi
	echo "$d $p $s" >>"$tmp/rows"
	echo "$r $d $p $s" | row
done
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
# med: the median of the numbers on stdin, one a line.
med() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# median COLUMN: the median of a column of the rows (1-based).
median() {
	awk -v c="$1" '{ print $c }' "$tmp/rows" | med
}
# The ratios' medians are of the per-round ratios: both sides of a ratio
# saw the same minute.
rd=$(awk '{ print $1 / $3 }' "$tmp/rows" | med)
if [ -n "$ssh_host" ]; then
	rs=$(awk '{ print $6 / $3 }' "$tmp/rows" | med)
	# shellcheck disable=SC2059
	printf "$fmt\n" median "$(median 1)" "$(median 2)" "$(median 3)" \
		"$(median 4)" "$(median 5)" "$rd" "$(median 6)" "$(median 7)" \
		"$rs"
else
	# shellcheck disable=SC2059
	printf "$fmt\n" median "$(median 1)" "$(median 2)" "$(median 3)" \
		"$(median 4)" "$(median 5)" "$rd"
fi
echo "(rate: pier's MiB/s as a share of docker's in the same round)"
[ -n "$ssh_host" ] &&
	echo "(vs ssh: pier's MiB/s as a share of docker -H ssh://'s)"
