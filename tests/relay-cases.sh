# Sourced by the relay tests (test-e2e-relay.sh on loopback,
# test-e2e-nat.sh across NAT routers in network namespaces): the cases of
# a node reached only through a relay, run wherever the caller put the
# three parties. The caller sets, before relay_cases:
#   ON_RELAY, ON_NODE, ON_CLIENT  command prefixes to run in each place
#                                 (empty, or "ip netns exec NS")
#   relay_listen, node_listen     HOST:PORT each pierd listens on
#   relay_addr                    HOST:PORT the node and client dial
#   client_key_hints              "" to use the node's printed key as is,
#                                 or "relay" to keep only its relay hint
# (relay_more_cases, if defined, runs once the client has joined) and
# has sourced e2e-lib.sh and called relay_init.

# relay_init NAME: e2e_init NAME, the engine and tmux (or a skip), and the
# script's names: $fixtures, $tag, $ctr (its container), $sock (tmux).
relay_init() {
	e2e_init "$1"
	e2e_need_docker
	e2e_need_tmux
	fixtures=${PIER_SOURCE_ROOT:-$(dirname "$0")/..}/tests/fixtures
	tag=e2e-$1-$$
	ctr=pier-$tag
	sock=pier-$tag
}

# relay_cleanup: the tmux server and the script's containers.
relay_cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null
	docker ps -aq --filter "label=pier.test.case=$tag" |
		xargs -r docker rm -f >/dev/null 2>&1
}

# C ARGS...: pier as the client, where the client is.
C() { $ON_CLIENT env PIER_CONFIG_DIR="$cfg" "$pier" "$@"; }
# rss PID: the resident set of a process, in KiB.
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

# relay_start: the relay's pierd (pid in $relay_pid), ready within 5 s.
relay_start() {
	local seen
	seen=$(grep -c ' ready: ' "$tmp/relay.log" 2>/dev/null)
	# ASan's quarantine would hold freed memory: measure what is live
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 \
	$ON_RELAY "$pierd" --state-dir "$tmp/relay" --listen "$relay_listen" \
		--log-level debug >>"$tmp/relay.log" 2>&1 &
	relay_pid=$!
	pids+=("$relay_pid")
	wait_for 5 eval '[ "$(grep -cs " ready: " "$tmp/relay.log")" -gt "${seen:-0}" ]'
}

# node_start: the node's pierd (pid in $node_pid).
node_start() {
	$ON_NODE "$pierd" --state-dir "$tmp/node" --listen "$node_listen" \
		--log-level debug >>"$tmp/node.log" 2>&1 &
	node_pid=$!
	pids+=("$node_pid")
	wait_for 5 grep -qs ' ready: ' "$tmp/node.log"
}

# link_up: whether the node says its relay link is up.
link_up() {
	"$pierd" relay ls --state-dir "$tmp/node" | grep -q ' up$'
}

# relay_cases: everything, in order.
relay_cases() {
	cfg=$tmp/client
	relay_start
	out=$($ON_RELAY "$pierd" key create --role relay --name node1 \
		--state-dir "$tmp/relay" --listen "$relay_addr" 2>&1)
	rkey=$(grep '^pier1' <<<"$out")
	check "pierd key create --role relay prints a join key" \
		has "$rkey" "^pier1.*@$relay_addr$"
	out=$("$pierd" relay add "$rkey" --name r1 --state-dir "$tmp/node" 2>&1)
	check "pierd relay add names the relay and its node" \
		has "$out" "^added relay r1: node .* at $relay_addr$"
	out=$("$pierd" relay add "$rkey" --name r1 --state-dir "$tmp/node" 2>&1)
	check "a second relay of the same name is refused with what to do" \
		has "$out" "pierd relay rm r1"
	node_start
	check "the node's link to its relay comes up" wait_for 15 link_up
	out=$("$pierd" status --state-dir "$tmp/node" 2>&1)
	check "pierd status shows the relay link and the public address" \
		eval 'has "$out" "^relay: *r1 $relay_addr up" && has "$out" "^public: *[0-9]"'
	nkey=$($ON_NODE "$pierd" key show --state-dir "$tmp/node" 2>/dev/null)
	check "the node's join key carries its relay as a hint" \
		has "$nkey" "relay+$relay_addr"
	if [ "$client_key_hints" = relay ]; then
		nkey="${nkey%%@*}@relay+$relay_addr"
	fi

	# Join and use the node through the relay alone.
	out=$(C join "$nkey" --name n1 2>&1)
	check "pier joins a node through its relay" \
		has "$out" "joined n1: .* at relay+$relay_addr"
	# Doctor asks for a direct path at once: where nothing is in the
	# way (loopback) its connection moves off the relay; across these
	# symmetric NATs it stays.
	out=$(C doctor n1 --json 2>&1)
	check "pier doctor: the relay's path, or a punched one it moved to from the relay" \
		python3 -c 'import json,sys; j=json.loads(sys.argv[1]); m=j["moved"]
r = "relay+" + sys.argv[2]
sys.exit(0 if m and ((j["path"] == "relay" and j["address"] == r and
    not m["moved"]) or (j["path"] in ("punched", "direct") and
    m["moved"] and m["from"] == r)) else 1)' "$out" "$relay_addr"
	if declare -F relay_more_cases >/dev/null; then
		relay_more_cases
	fi
	docker run -d --name "$ctr" --label pier.test=1 \
		--label "pier.test.case=$tag" pier-test/busybox:latest \
		sleep 100000 >/dev/null
	out=$(C ps 2>&1)
	check "pier ps works through the relay" has "$out" " $ctr$"
	want=$(seq 1 9000000 | md5sum)
	out=$(C exec "n1/$ctr" seq 1 9000000 | md5sum)
	check "64 MiB of pier exec output come through the relay intact" \
		[ "$out" = "$want" ]

	# Strangers: silence from the relay, and its memory stays flat.
	gkey=$(python3 "$fixtures/wrong-key.py" "${nkey%%@*}")
	out=$(C join "$gkey@relay+$relay_addr" --name bad 2>&1)
	check "a client with a wrong key gets silence through the relay" \
		eval '! has "$out" "joined" && has "$out" "closed the connection without answering"'
	rhost=${relay_addr%:*}
	rport=${relay_addr##*:}
	$ON_CLIENT python3 "$fixtures/relay-abuse.py" "$rhost" "$rport" \
		"$nkey" 1000 >"$tmp/abuse1" 2>&1
	$ON_CLIENT python3 "$fixtures/relay-abuse.py" "$rhost" "$rport" \
		"$nkey" 1000 >/dev/null 2>&1	# the allocator's pools settle
	r1=$(rss "$relay_pid")
	$ON_CLIENT python3 "$fixtures/relay-abuse.py" "$rhost" "$rport" \
		"$nkey" 1000 >"$tmp/abuse2" 2>&1
	r2=$(rss "$relay_pid")
	out="$(cat "$tmp/abuse1" "$tmp/abuse2"); rss $r1 -> $r2 KiB"
	check "1,000 splice requests for unknown targets and garbage: not a byte back" \
		eval '[ "$(cat "$tmp/abuse1" "$tmp/abuse2")" = "sent 1000 got 0
sent 1000 got 0" ]'
	check "the relay's memory stays flat over the next 1,000 (under 1 MiB more)" \
		[ $((r2 - r1)) -lt 1024 ]
	check "the node's link survived the abuse" link_up

	# A shell through the relay survives a relay restart (kept on the
	# relay: on loopback it would move off it within a second).
	out=$(C config set move maybe 2>&1)
	check "pier config set move takes true or false only" \
		has "$out" "true or false"
	C config set move false
	tstart s1 "$ON_CLIENT" "$pier" shell "n1/$ctr"
	tprompt s1
	tkeys s1 'echo before-the-restart' Enter
	twait s1 '^before-the-restart$'
	att=$(grep -c "session [0-9a-f]* attached by" "$tmp/node.log")
	kill -TERM "$relay_pid"
	wait "$relay_pid"
	relay_start
	check "after the relay restarts, the node's link comes back" \
		wait_for 40 link_up
	out=$(grep "attached\|detached\|relay r1" "$tmp/node.log" | tail -5)
	check "the client reattaches the shell through the relay by itself" \
		wait_for 40 eval '[ "$(grep -c "session [0-9a-f]* attached by" "$tmp/node.log")" -gt "$att" ]'
	check "the shell comes back with its screen" \
		twait s1 '^before-the-restart$' 100
	tkeys s1 'echo after-the-restart-$((4+4))' Enter
	check "the same shell goes on after the relay restart" \
		twait s1 '^after-the-restart-8$' 400
	tkeys s1 'exit' Enter
	twait s1 '^PIER_RC=0$'
	C config set move true

	out=$("$pierd" relay rm r1 --state-dir "$tmp/node" 2>&1)
	check "pierd relay rm removes the relay" has "$out" "removed relay r1"
	check "the running node drops its link at once" \
		wait_for 10 grep -q "relay r1: removed" "$tmp/node.log"
}

# jq_path JSON KEY: a top-level string of a JSON text.
jq_path() {
	python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2]) or "")' "$1" "$2"
}
