#!/usr/bin/env bash
# What an idle node's memory is made of, after it has served Docker
# calls: one pierd per build given (run one after the other, the same
# calls each), each joined, then asked `pier ps -a` 20 times, `pier info`,
# `pier exec CTR true` 5 times and `pier images`, then left alone for
# IDLE seconds. From /proc/PID/smaps it prints RSS, PSS and private
# memory (Private_Clean + Private_Dirty) in KiB, in total and by kind:
# the heap, other anonymous memory (thread stacks, mmap'd buffers), the
# node's own binary, and the shared libraries (libcurl and its
# dependencies, loaded with the first Docker call, among them).
#
# The container is the test image running `sleep 3600`, labelled
# pier.bench=1, removed at the end with every pierd.
#
# With -c N, N clients (tools/bench/bench-clients, each its own identity
# and handshake, pinging every second) are connected for 6 s and
# disconnected before the idle time: the burst the heap has to recover
# from.
#
# Usage: tools/bench/bench-idle-mem.sh [-t IDLE] [-c N] BUILD...
#   BUILD   build directories with node/pierd, tools/pier/pier and
#           tools/bench/bench-clients
#   -t IDLE seconds idle before reading (default 5)
#   -c N    a burst of N clients first (default 0: none)
set -u

idle=5
nclients=0
while getopts t:c: o; do
	case $o in
	t) idle=$OPTARG ;;
	c) nclients=$OPTARG ;;
	*) echo "usage: $0 [-t IDLE] [-c N] BUILD..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-t IDLE] BUILD..." >&2; exit 2; }
tmp=$(mktemp -d /tmp/pier-bench-mem.XXXXXX)
ctr=pier-bench-mem-$$
pids=()
cleanup() {
	local q
	for q in "${pids[@]}"; do
		kill "$q" 2>/dev/null && wait "$q" 2>/dev/null
	done
	docker rm -f "$ctr" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
docker run -d --name "$ctr" -l pier.bench=1 pier-test/busybox:latest \
	sleep 3600 >/dev/null || exit 1

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# breakdown PID: the smaps of PID summed by kind.
breakdown() {
	python3 - "$1" <<-'EOF'
	import re, sys
	kinds = {}
	cur = None
	for line in open("/proc/%s/smaps" % sys.argv[1]):
	    if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
	        f = line.split()
	        name = f[5] if len(f) > 5 else ""
	        if name == "[heap]":
	            cur = "heap"
	        elif name == "" or name.startswith("["):
	            cur = "other anonymous"
	        elif name.endswith("/pierd"):
	            cur = "pierd binary"
	        else:
	            cur = "shared libraries"
	        kinds.setdefault(cur, [0, 0, 0])
	        continue
	    k, v = line.split(":", 1)
	    if k not in ("Rss", "Pss", "Private_Clean", "Private_Dirty"):
	        continue
	    kb = int(v.split()[0])
	    if k == "Rss":
	        kinds[cur][0] += kb
	    elif k == "Pss":
	        kinds[cur][1] += kb
	    elif k in ("Private_Clean", "Private_Dirty"):
	        kinds[cur][2] += kb
	tot = [sum(v[i] for v in kinds.values()) for i in range(3)]
	print("  %-20s %8s %8s %8s" % ("KiB", "RSS", "PSS", "private"))
	for k in ("heap", "other anonymous", "pierd binary",
	    "shared libraries"):
	    v = kinds.get(k, [0, 0, 0])
	    print("  %-20s %8d %8d %8d" % (k, v[0], v[1], v[2]))
	print("  %-20s %8d %8d %8d" % ("total", tot[0], tot[1], tot[2]))
	EOF
}

echo "bench-idle-mem: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores," \
	"load $(cut -d' ' -f1-3 /proc/loadavg), idle ${idle}s"
i=0
for b in "$@"; do
	i=$((i + 1))
	b=$(cd "$b" && pwd) || exit 2
	export PIER_CONFIG_DIR=$tmp/c$i
	port=$(free_port)
	"$b/node/pierd" --state-dir "$tmp/s$i" --listen "127.0.0.1:$port" \
		--log-level warn >"$tmp/log$i" 2>&1 &
	p=$!
	pids+=($p)
	for _ in $(seq 200); do
		ss -ltn | grep -q ":$port " && break
		sleep 0.05
	done
	"$b/tools/pier/pier" join "$("$b/node/pierd" key show --state-dir \
		"$tmp/s$i" --listen "127.0.0.1:$port")" --name m >/dev/null ||
		exit 1
	for _ in $(seq 20); do "$b/tools/pier/pier" ps -a m >/dev/null; done
	"$b/tools/pier/pier" info m >/dev/null
	for _ in $(seq 5); do
		"$b/tools/pier/pier" exec "m/$ctr" true >/dev/null
	done
	"$b/tools/pier/pier" images m >/dev/null
	if [ "$nclients" -gt 0 ]; then
		"$b/tools/bench/bench-clients" -k "$("$b/node/pierd" key show \
			--state-dir "$tmp/s$i" --listen "127.0.0.1:$port")" \
			-n "$nclients" -p 1 -t 6 >"$tmp/clients$i" 2>&1 ||
			{ echo "bench-clients failed:"; cat "$tmp/clients$i"; }
	fi
	sleep "$idle"
	echo "$b (pid $p):"
	breakdown $p
	kill $p; wait $p 2>/dev/null
done
