#!/usr/bin/env bash
# End to end: the node's model of its engine's containers (node/model.c)
# against the engine itself. A pierd on 127.0.0.1 and the real engine;
# the docker CLI drives the engine directly (create, rename, start,
# pause, unpause, stop, restart, a health check, remove) and after each
# step `pier ps -a --json` must show the test's containers as `docker ps
# -a` does (id, names, image, status text, command), answered from the
# model (node.info's model counters), not the engine. A stop through
# pier shows at once in the next `pier ps`. Then a private dockerd (its
# own socket, data, exec root, containerd namespace and bridge, no
# iptables: the shared engine and its docker0 are never touched) with a second pierd on
# it: stopped and started again, the model rebuilds and agrees with the
# engine; while it is down `pier ps` says so instead of answering stale
# rows. Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init model
e2e_need_docker
src=${PIER_SOURCE_ROOT:-$(dirname "$0")/..}
tag=e2e-model-$$
ctr=pier-$tag
cfg=$tmp/admin
image=pier-test/busybox:latest
dsock=$tmp/d/docker.sock
dpid=
# The private engine's own bridge, made here: with --bridge=none a dockerd
# deletes the host's docker0 at start (Moby's configureNetworking calls
# removeDefaultBridgeInterface), and docker0 is the shared engine's.
br=pmdl$$

# stop_private: the private engine, if it runs, and wait for it to go.
stop_private() {
	[ -n "$dpid" ] || return 0
	kill "$dpid" 2>/dev/null
	wait_for 60 eval '! kill -0 "$dpid" 2>/dev/null'
	dpid=
}
cleanup_more() {
	docker ps -aq --filter "label=pier.test.case=$tag" |
		xargs -r docker rm -f >/dev/null 2>&1
	if [ -n "$dpid" ]; then
		docker -H "unix://$dsock" ps -aq | xargs -r \
			docker -H "unix://$dsock" rm -f >/dev/null 2>&1
		stop_private
	fi
	umount -R "$tmp/d" 2>/dev/null
	ip link del "$br" 2>/dev/null
}

# rows_docker [HOST]: the test's containers as docker ps -a shows them.
rows_docker() {
	docker ${1:+-H "$1"} ps -a --no-trunc \
		--filter "label=pier.test.case=$tag" \
		--format '{{.ID}}|{{.Names}}|{{.Image}}|{{.Status}}|{{.Command}}'
}
# rows_pier NODE: the same from `pier ps -a --json`.
rows_pier() {
	P ps -a --json "$1" | jq -r --arg t "$tag" '.[] |
	    select(.labels["pier.test.case"] == $t) |
	    "\(.id)|\(.names | join(","))|\(.image)|\(.status)|\"\(.command)\""'
}
# same NODE [HOST]: pier and docker agree (and list something).
same() {
	local a b
	a=$(rows_docker "${2:-}")
	b=$(rows_pier "$1")
	out="docker:
$a
pier:
$b"
	[ -n "$a" ] && [ "$a" = "$b" ]
}
# agree NAME NODE [HOST]: a case: they agree within 10 s (events are
# asynchronous; the status text may also cross a second between the two).
agree() {
	local name=$1
	shift
	if wait_for 10 same "$@" 2>/dev/null; then ok "$name"; else
		same "$@"; not_ok "$name" "$out"; fi
}
# model NODE EXPR: a value of node.info's model, by a jq expression.
model() { P info --json "$1" | jq -r ".model | $2"; }
D() { docker "$@" >/dev/null; }

e2e_joined_node
# The first Docker request starts the model; it answers once built.
P ps -a n1 >/dev/null 2>&1
out=$(P info --json n1 2>&1)
check "the model is built after the first Docker request" \
	wait_for 30 eval '[ "$(model n1 .state)" = ready ]'
answered0=$(model n1 .answered)
agree "pier ps -a agrees with docker ps -a" n1
c2=pier-$tag-2
D create --name "$c2" --label pier.test=1 --label "pier.test.case=$tag" \
	"$image" sleep 100001
agree "docker create shows in pier ps" n1
D rename "$c2" "$c2-renamed"
agree "docker rename shows" n1
D start "$c2-renamed"
agree "docker start shows (Up ...)" n1
D pause "$c2-renamed"
agree "docker pause shows (Paused)" n1
D unpause "$c2-renamed"
agree "docker unpause shows" n1
D stop -t 0 "$c2-renamed"
agree "docker stop shows (Exited (137) ...)" n1
D restart -t 0 "$ctr"
agree "docker restart shows" n1
c3=pier-$tag-3
D run -d --name "$c3" --label pier.test=1 --label "pier.test.case=$tag" \
	--health-cmd true --health-interval 1s "$image" sleep 100002
agree "a health check: starting, then healthy" n1
out=$(docker ps --filter "name=$c3" --format '{{.Status}}')
check "the health check has run" wait_for 20 eval \
	'docker ps --filter "name=$c3" --format "{{.Status}}" | grep -q "(healthy)"'
agree "(healthy) shows" n1
D rm -f "$c2-renamed"
agree "docker rm shows (gone)" n1
out=$(P info --json n1 2>&1)
answered1=$(model n1 .answered)
check "listings were answered from the model" \
	[ "$answered1" -gt "$answered0" ]
check "the model followed events, it did not rebuild" eval \
	'[ "$(model n1 .rebuilds)" = 1 ] && [ "$(model n1 .events)" -gt 5 ]'
# A stop through the node shows at once: no waiting for the event.
P stop n1/"$c3" >/dev/null 2>&1
out=$(P ps -a --json n1 | jq -r --arg n "$c3" \
	'.[] | select(.name == $n) | .state')
check "pier stop, then pier ps: exited at once" [ "$out" = exited ]
out=$(P exec n1/"$ctr" echo resolved 2>&1)
check "a name resolves from the model (exec)" [ "$out" = resolved ]

# A private engine that can be stopped and started: never the shared one.
if ! command -v dockerd >/dev/null; then
	skip "the model rebuilds after an engine restart" "no dockerd here"
	e2e_stop_nodes
	e2e_done
fi
start_private() {
	mkdir -p "$tmp/d"
	if ! ip link show "$br" >/dev/null 2>&1; then
		ip link add "$br" type bridge &&
			ip addr add 10.213.$(($$ % 250)).1/24 dev "$br" &&
			ip link set "$br" up || return 1
	fi
	setsid dockerd --host "unix://$dsock" --data-root "$tmp/d/data" \
		--exec-root "$tmp/d/exec" --pidfile "$tmp/d/dockerd.pid" \
		--containerd-namespace "pier-$tag" \
		--containerd-plugins-namespace "pier-$tag-p" \
		--bridge="$br" --iptables=false --ip-masq=false \
		--userland-proxy=false >>"$tmp/d/dockerd.log" 2>&1 </dev/null &
	dpid=$!
	wait_for 60 eval 'docker -H "unix://$dsock" version >/dev/null 2>&1'
}
# docker0_guard: the host's docker0 must outlive the private engine; if
# it went, it is put back as it was (the shared engine needs it) and the
# case fails.
d0=$(ip -4 -o addr show docker0 2>/dev/null | awk '{ print $4; exit }')
docker0_guard() {
	[ -z "$d0" ] && return 0
	ip link show docker0 >/dev/null 2>&1 && return 0
	ip link add docker0 type bridge && ip addr add "$d0" dev docker0 &&
		ip link set docker0 up
	return 1
}
if ! start_private; then
	skip "the model rebuilds after an engine restart" \
		"a second dockerd does not start here: $(tail -3 "$tmp/d/dockerd.log" | tr '\n' ' ')"
	e2e_stop_nodes
	e2e_done
fi
check "the private engine leaves the host's docker0 alone" docker0_guard
DOCKER_HOST=unix://$dsock PIER_DOCKER_STATE=$tmp/d/state \
	"$src/tools/docker-engine" up >/dev/null
H=unix://$dsock
port2=$(free_port)
start_node "$tmp/state2" "$port2" "$H" "$tmp/pierd2.log"
key2=$("$pierd" key show --state-dir "$tmp/state2" \
	--listen "127.0.0.1:$port2" 2>/dev/null)
out=$(P join "$key2" --name n2 2>&1)
check "pier joins the node of the private engine" has "$out" "joined n2"
for i in 1 2 3; do
	D -H "$H" run -d --network none --name "p$i-$tag" --label pier.test=1 \
		--label "pier.test.case=$tag" "$image" sleep 100003
done
D -H "$H" create --network none --name "p4-$tag" --label pier.test=1 \
	--label "pier.test.case=$tag" "$image" true
P ps -a n2 >/dev/null 2>&1
wait_for 30 eval '[ "$(model n2 .state)" = ready ]'
agree "the private engine: pier and docker agree" n2 "$H"
stop_private
out=$(P ps -a n2 2>&1)
check "the engine down: pier ps says so, no stale rows" \
	eval '! has "$out" "p1-$tag"'
start_private
check "a restarted private engine leaves docker0 alone" docker0_guard
agree "the engine restarted: the model rebuilt, they agree" n2 "$H"
out=$(P info --json n2 2>&1)
check "the model was rebuilt" [ "$(model n2 .rebuilds)" -ge 2 ]
D -H "$H" start "p4-$tag"
agree "after the restart, events are followed again" n2 "$H"
e2e_stop_nodes
e2e_done
