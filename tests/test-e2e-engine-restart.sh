#!/usr/bin/env bash
# End to end: the Docker engine restarts under live sessions. A pierd on
# 127.0.0.1 and the real engine; `pier shell` under a real PTY (tmux),
# a detached `pier exec -it` session and a plain `pier exec`; then
# `tools/docker-engine restart`. The viewer is told that the engine went
# away and pier exits 1, the plain exec fails naming the engine, pierd
# does not crash, holds no session and no more descriptors than before,
# and serves again once the engine is back (an exec in the restarted
# container works). The engine is restarted only if tools/docker-engine
# started it (else the test SKIPs and says why), and the test runs alone
# (is_parallel false), since every container stops with the engine.
# Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init engine-restart
e2e_need_docker
e2e_need_tmux
dstate=${PIER_DOCKER_STATE:-/var/tmp/pier-docker}
if ! [ -f "$dstate/dockerd.pid" ] ||
	! kill -0 "$(cat "$dstate/dockerd.pid")" 2>/dev/null; then
	echo "1..0 # SKIP the engine was not started by tools/docker-engine" \
		"(no live $dstate/dockerd.pid); not restarting it"
	exit 0
fi
src=${PIER_SOURCE_ROOT:-$(dirname "$0")/..}
tag=e2e-restart-$$
ctr=pier-$tag
sock=pier-$tag
cfg=$tmp/admin

cleanup_more() {
	tmux -L "$sock" kill-server 2>/dev/null
	docker ps -aq --filter "label=pier.test.case=$tag" |
		xargs -r docker rm -f >/dev/null 2>&1
}
tscreen_join=-J	# the end messages are longer than a line
nfds() { ls "/proc/$1/fd" | wc -l; }

e2e_joined_node
npid=${pids[0]}

# A warm-up, so the descriptor count below is the node's steady one.
P exec "n1/$ctr" true >/dev/null 2>&1
fds0=$(nfds "$npid")

tstart s1 "$pier" shell "n1/$ctr"
twait s1 '/ #' 100
tkeys s1 'echo shell-up-$((3*5))' Enter
check "a shell runs before the restart" twait s1 '^shell-up-15$'
tstart s2 "$pier" exec -it "n1/$ctr" sh -c "'echo second-up; sleep 4281'"
twait s2 '^second-up' 100
tkeys s2 Enter '~.'
twait s2 '^PIER_RC=0$' 50
PIER_CONFIG_DIR=$cfg "$pier" exec "n1/$ctr" sleep 4282 >"$tmp/x.out" \
	2>"$tmp/x.err" &
xpid=$!
wait_for 10 eval 'docker top "$ctr" -o pid,args | grep -Eq "^ *[0-9]+ +sleep 4282"'
out=$(P sessions 2>&1)
check "two sessions run, one attached and one detached" \
	eval '[ $(grep -c "n1 " <<<"$out") -eq 2 ]'

"$src/tools/docker-engine" restart >"$tmp/restart.log" 2>&1
rrc=$?
out="restart exit $rrc: $(tail -5 "$tmp/restart.log")"
check "tools/docker-engine restart restarted the engine" [ $rrc -eq 0 ]

# Which of the two the node can tell depends on whether the engine
# answers again by the time it asks (a fast restart does).
check "the viewer is told the engine went away or restarted" \
	twait s1 'the Docker engine went away; session ended\|stopped while the session ran (docker stop, or the engine restarting)' 300
check "and pier shell exits 1" twait s1 '^PIER_RC=1$' 50
for _ in $(seq 300); do
	kill -0 "$xpid" 2>/dev/null || break
	sleep 0.1
done
wait "$xpid"
xrc=$?
out="rc=$xrc $(cat "$tmp/x.err")"
# The engine kills the command while it shuts down; when it still
# answers the exit-code inspect, that is 137, as `docker exec` gives on
# the same engine; when it does not, an error names the engine.
check "a plain pier exec fails: 137 as docker exec, or naming the engine" \
	eval '[ $xrc -eq 137 ] || { [ $xrc -eq 1 ] && grep -Eq "Docker engine went away|connection to Docker|Docker engine restarted" "$tmp/x.err"; }'
check "pierd is still running" kill -0 "$npid"
out=$(P sessions 2>&1); rc=$?
check "pierd serves, and holds no session any more" \
	eval '[ $rc -eq 0 ] && ! grep -q "^n1 " <<<"$out"'
docker start "$ctr" >/dev/null 2>&1
out=$(P exec "n1/$ctr" echo back-after-restart 2>&1)
check "once the engine is back, an exec in the container works" \
	has "$out" '^back-after-restart$'
tstart s3 "$pier" shell "n1/$ctr"
twait s3 '/ #' 100
tkeys s3 'echo new-shell-$((4*4))' Enter
check "and a new shell too" twait s3 '^new-shell-16$'
tkeys s3 'exit' Enter
twait s3 '^PIER_RC=0$' 50
# The node closes the session's descriptors a moment after it ends.
wait_for 10 eval '[ "$(nfds "$npid")" -le $((fds0 + 2)) ]'
fds1=$(nfds "$npid")
out="descriptors before $fds0, after $fds1"
check "pierd holds no more descriptors than before (no leaked exec)" \
	[ "$fds1" -le $((fds0 + 2)) ]
out=$(grep -iE "ERROR|Sanitizer" "$log" | tail -5)
check "no sanitizer report in pierd's log" \
	eval '! grep -q "Sanitizer" "$log"'

e2e_stop_nodes
e2e_done
