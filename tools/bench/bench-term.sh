#!/usr/bin/env bash
# Issue 5's terminal benchmark, in one run on one machine against one
# engine and one container:
#
#   1. keystroke echo latency (median, p99 over KEYS keys typed one at a
#      time) and bulk output (MIB MiB written by the container to its
#      terminal, timed to the end marker) with tools/bench/bench-shell.py,
#      for four clients, ROUNDS rounds, the clients interleaved in each:
#        docker      `docker exec -it` on the engine's local socket;
#        ssh         `docker -H ssh://root@127.0.0.1:PORT exec -it`: the
#                    docker CLI runs `ssh ... docker system dial-stdio`
#                    to a private sshd started here (see below);
#        pier-exec   `pier exec -it` to a release pierd on 127.0.0.1;
#        pier-shell  `pier shell` to the same node;
#        relay       (not in the default list) `docker -H tcp://...
#                    exec -it` through bench-relay, a bare TCP-to-unix
#                    copy in front of the engine: the hops pier adds
#                    (TCP on loopback, a process in the middle) with
#                    nothing else, the floor pier's extra cost is
#                    measured against;
#   2. memory per idle session: N detached `pier shell` sessions opened
#      (each typed into, then left with the ~. escape), the node's VmRSS,
#      RssAnon and heap in use (mallinfo2, read by the LD_PRELOAD probe
#      libbench-heap-probe.so) before and after, divided by N, less one
#      screen's heap (bench-term-mem: an 80x24 screen with the node's
#      1000-line scrollback, fed a prompt); then every session killed and
#      the heap read again. The node's screen worker (the screens since
#      it runs them) is measured too: its VmRSS before and after, per
#      session.
#
# The private sshd is tools/bench/bench-sshd.sh's (keys only, 127.0.0.1,
# files in a temp directory), killed at the end.
#
# The container runs `sleep 3600` from pier-test/busybox:latest with the
# labels pier.test=1 and pier.bench.run=PID, and is removed at the end
# (also on failure or Ctrl-C) with sshd, pierd and the sessions.
#
# Usage: tools/bench/bench-term.sh [-b BUILD] [-r ROUNDS] [-k KEYS]
#            [-m MIB] [-n SESSIONS] [-c CLIENTS]
#   -b BUILD     a build without sanitizers (default build-rel):
#                meson setup build-rel --buildtype=release &&
#                ninja -C build-rel node/pierd tools/pier/pier
#                tools/bench/bench-term-mem tools/bench/libbench-heap-probe.so
#   -r ROUNDS    rounds of the four clients (default 3)
#   -k KEYS      keystrokes per echo run (default 500)
#   -m MIB       bulk output per run in MiB (default 256)
#   -n SESSIONS  idle sessions for the memory figure (default 50; the
#                node holds 64 unless started with --max-sessions;
#                0 skips it)
#   -c CLIENTS   which clients, comma-separated (default
#                docker,ssh,pier-exec,pier-shell; relay as well)
set -u
. "$(dirname "$0")/bench-sshd.sh"

here=$(cd "$(dirname "$0")" && pwd)
build=build-rel
rounds=3
keys=500
mibs=256
nsess=50
clients=docker,ssh,pier-exec,pier-shell
while getopts b:r:k:m:n:c: o; do
	case $o in
	b) build=$OPTARG ;;
	r) rounds=$OPTARG ;;
	k) keys=$OPTARG ;;
	m) mibs=$OPTARG ;;
	n) nsess=$OPTARG ;;
	c) clients=$OPTARG ;;
	*) echo "usage: $0 [-b BUILD] [-r ROUNDS] [-k KEYS] [-m MIB]" \
		"[-n SESSIONS] [-c CLIENTS]" >&2; exit 2 ;;
	esac
done
build=$(cd "$build" 2>/dev/null && pwd) || {
	echo "bench-term: no build directory $build" >&2; exit 2; }
pierd=$build/node/pierd
pier=$build/tools/pier/pier
termmem=$build/tools/bench/bench-term-mem
probe=$build/tools/bench/libbench-heap-probe.so
for f in "$pierd" "$pier" "$termmem" "$probe"; do
	[ -e "$f" ] || { echo "bench-term: $f is missing; build it first" >&2
		exit 2; }
done
docker version >/dev/null 2>&1 || {
	echo "bench-term: no Docker engine (docker version fails)" >&2; exit 1; }
image=pier-test/busybox:latest
docker image inspect $image >/dev/null 2>&1 || {
	echo "bench-term: no $image; run tools/docker-engine first" >&2
	exit 1; }

tmp=$(mktemp -d /tmp/pier-bench-term.XXXXXX)
run_label=pier.bench.run=$$
pids=()
node_pid=
cleanup() {
	local q rc=$?
	if [ $rc -ne 0 ] && [ -n "$node_pid" ]; then
		kill -0 "$node_pid" 2>/dev/null ||
			echo "bench-term: pierd is gone ($(wait "$node_pid";
			echo "exit $?"))" >&2
		echo "bench-term: the end of the node's log:" >&2
		tail -n 20 "$tmp/pierd.log" >&2
	fi
	if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
		kill_sessions >/dev/null 2>&1
	fi
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
# mem PID: "VmRSS RssAnon" in KiB, then the heap in use in bytes.
mem() {
	sleep 0.3	# the probe writes every 100 ms
	echo "$(awk '/^(VmRSS|RssAnon):/ { printf "%s ", $2 }' \
		"/proc/$1/status")$(tr -d ' ' <"$tmp/heap")"
}
# wrss PID: the VmRSS in KiB of the screen worker of node PID, 0 if none.
wrss() {
	local p
	for p in $(ps -o pid= --ppid "$1"); do
		if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null |
			grep -q -- '--screen-worker'; then
			awk '/^VmRSS:/ { print $2 }' "/proc/$p/status"
			return
		fi
	done
	echo 0
}

echo "bench-term: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores," \
	"load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"$(docker version -f 'engine {{.Server.Version}}, CLI {{.Client.Version}}' 2>/dev/null)," \
	"commit $(git -C "$here" rev-parse --short HEAD 2>/dev/null)," \
	"build $build"

# The node, with the heap probe, and the container.
port=$(free_port)
PIER_HEAP_PROBE=$tmp/heap LD_PRELOAD=$probe "$pierd" --state-dir "$tmp/s" \
	--listen "127.0.0.1:$port" --log-level info >"$tmp/pierd.log" 2>&1 &
node_pid=$!
pids+=($node_pid)
# Listening means the node has made its state: only then is key show
# sure to read the node's key and not make one of its own.
for _ in $(seq 200); do
	ss -ltn 2>/dev/null | grep -q ":$port " && break
	sleep 0.05
done
"$pier" join "$("$pierd" key show --state-dir "$tmp/s")" --name b1 \
	>/dev/null || { echo "bench-term: join failed; the node's log:" >&2
	cat "$tmp/pierd.log" >&2; exit 1; }
[ -s "$tmp/heap" ] || { echo "bench-term: the heap probe wrote nothing" >&2
	exit 1; }
ctr=$(docker run -d -l pier.test=1 -l "$run_label" --name "pier-bt-$$" \
	"$image" sleep 3600) || exit 1
name=pier-bt-$$

# The private sshd (tools/bench/bench-sshd.sh).
ssh_host=
case ",$clients," in
*,ssh,*)
	sd=$tmp/ssh
	bench_sshd "$sd" bench-term
	pids+=("$ssh_pid") ;;
esac

# The relay (bench-relay).
relay_host=
case ",$clients," in
*,relay,*)
	[ -x "$build/tools/bench/bench-relay" ] || {
		echo "bench-term: $build/tools/bench/bench-relay is missing;" \
			"build it first" >&2; exit 2; }
	rport=$(free_port)
	"$build/tools/bench/bench-relay" "$rport" /var/run/docker.sock &
	pids+=($!)
	for _ in $(seq 100); do
		ss -ltn 2>/dev/null | grep -q "127.0.0.1:$rport " && break
		sleep 0.05
	done
	relay_host=tcp://127.0.0.1:$rport ;;
esac

# client_cmd NAME: the command line of one client, one word a line.
client_cmd() {
	case $1 in
	docker) printf '%s\n' docker exec -it "$name" sh ;;
	ssh) printf '%s\n' env "PATH=$ssh_path" docker -H "$ssh_host" \
		exec -it "$name" sh ;;
	pier-exec) printf '%s\n' "$pier" exec -it "b1/$name" sh ;;
	pier-shell) printf '%s\n' "$pier" shell "b1/$name" ;;
	relay) printf '%s\n' docker -H "$relay_host" exec -it "$name" sh ;;
	*) echo "bench-term: no client $1" >&2; return 1 ;;
	esac
}

# ensure_container: the engine answers and the container runs (the shared
# engine may have been restarted by another test, which stops it); says
# so when it had to start it again.
ensure_container() {
	local i
	for i in $(seq 60); do
		docker version >/dev/null 2>&1 && break
		sleep 1
	done
	[ "$(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" = \
	    true ] && return 0
	echo "  (the container was not running, dockerd started at" \
		"$(ps -o lstart= -C dockerd | head -1); starting it again)"
	echo restart >>"$tmp/restarts"
	docker start "$name" >/dev/null
}
# bench CLIENT ROUND: one bench-shell.py run; appends "ROUND CLIENT JSON"
# to $tmp/results. A run that fails because the engine went away is
# tried once more.
bench() {
	local c=$1 r=$2 try out cmd
	mapfile -t cmd < <(client_cmd "$c")
	[ ${#cmd[@]} -gt 0 ] || exit 2
	for try in 1 2; do
		ensure_container || return 1
		if out=$(timeout 900 python3 "$here/bench-shell.py" \
		    --keys "$keys" --mib "$mibs" -- "${cmd[@]}" \
		    2>"$tmp/err"); then
			echo "$r $c $out" >>"$tmp/results"
			python3 -c 'import json, sys
j = json.loads(sys.argv[3])
print("round %s %-10s echo median %5d us, p99 %6d us; %d MiB in %.2f s"
    % (sys.argv[1], sys.argv[2], j["echo_median_us"], j["echo_p99_us"],
    j["mib"], j["seconds"]))' "$r" "$c" "$out"
			return 0
		fi
		echo "round $r $c: FAILED (try $try): $(tail -1 "$tmp/err")" |
			tee -a "$tmp/failed"
	done
}

# 1. Echo and bulk output.
: >"$tmp/results"
for r in $(seq "$rounds"); do
	for c in ${clients//,/ }; do
		bench "$c" "$r"
	done
done

# 2. Memory per idle session.
# open_sessions N: N detached `pier shell` sessions.
open_sessions() {
	python3 "$here/bench-term-util.py" open "$1" "$pier" "b1/$name"
}
# kill_sessions: ends every session of the node, one client process
# each, paced under the node's handshake limit (10 a second from one
# address, burst 20).
kill_sessions() {
	local q
	for q in $("$pier" sessions b1 | awk 'NR > 1 { print $2 }'); do
		sleep 0.15
		"$pier" kill-session "b1/$q" >/dev/null || return 1
	done
}
nsessions() { "$pier" sessions b1 2>/dev/null | awk 'NR > 1' | wc -l; }

if [ "$nsess" -gt 0 ]; then
	ensure_container || exit 1
	# One session first, killed again: the node's first session loads
	# what every later one shares (libvterm's tables, curl's handles).
	open_sessions 1 || exit 1
	kill_sessions || exit 1
	sleep 2
	read -r rss0 anon0 heap0 <<<"$(mem $node_pid)"
	w0=$(wrss $node_pid)
	[ "$(nsessions)" -eq 0 ] || { echo "bench-term: sessions left" >&2
		exit 1; }
	open_sessions "$nsess" || exit 1
	sleep 2
	read -r rss1 anon1 heap1 <<<"$(mem $node_pid)"
	w1=$(wrss $node_pid)
	have=$(nsessions)
	[ "$have" -eq "$nsess" ] || { echo "bench-term: wanted $nsess" \
		"sessions, the node lists $have" >&2; exit 1; }
	screen=$("$termmem" 50 24 80) || exit 1
	kill_sessions || exit 1
	sleep 2
	read -r rss2 anon2 heap2 <<<"$(mem $node_pid)"
fi

# The summary.
echo
python3 "$here/bench-term-util.py" report "$tmp/results" "$keys" "$mibs"
[ "$nsess" -eq 0 ] || python3 "$here/bench-term-util.py" memory \
	"$nsess" "$screen" "$rss0" "$anon0" "$heap0" "$rss1" "$anon1" \
	"$heap1" "$rss2" "$anon2" "$heap2"
[ "$nsess" -eq 0 ] || echo "  screen worker VmRSS $w0 -> $w1, per" \
	"session $(( (w1 - w0) / nsess ))"
[ ! -s "$tmp/restarts" ] || echo "the container had to be started" \
	"again $(wc -l <"$tmp/restarts") times (engine restarts)"
[ ! -s "$tmp/failed" ] || { echo; cat "$tmp/failed"; exit 1; }
