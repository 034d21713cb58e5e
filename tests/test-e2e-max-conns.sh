#!/usr/bin/env bash
# End to end: pierd --max-connections and --max-sessions. A node that
# holds two clients (two `pier ping` running) closes a third unanswered
# and logs why, keeps the two, and lets a client in again once they are
# gone; bad values are usage errors (exit 2); a soft open-file limit too
# small for the maxima is raised, in one log line, and a hard one too
# small stops the node with the reason. With an engine: a node with
# --max-sessions 1 holds one terminal session and refuses a second with
# the cap in the message. Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init max-conns

cfg=$tmp/client
port=$(free_port)
state=$tmp/state
log=$tmp/pierd.log
nodock=unix://$tmp/no-docker.sock
check "pierd starts with --max-connections 2" \
	start_node "$state" "$port" "$nodock" "$log" --max-connections 2
key=$("$pierd" key show --state-dir "$state" 2>/dev/null)
out=$(P join "$key" --name n1 2>&1)
check "pier joins it" has "$out" "joined n1"

P ping -c 80 -i 0.1 >"$tmp/ping-1" 2>&1 &
p1=$!
P ping -c 80 -i 0.1 >"$tmp/ping-2" 2>&1 &
p2=$!
wait_for 10 eval 'grep -qs "seq=1 " "$tmp/ping-1" && grep -qs "seq=1 " "$tmp/ping-2"'
out=$(P ping -c 1 2>&1); rc=$?
check "a third client at once gets nowhere" [ $rc -ne 0 ]
out=$(grep "refused" "$log")
check "the node logs that it held 2 connections already" \
	has "$out" "refused: 2 connections held already"
kill -0 $p1 $p2 2>/dev/null
check "the two clients are still connected" [ $? -eq 0 ]
wait $p1; r1=$?
wait $p2; r2=$?
out="$(tail -1 "$tmp/ping-1") / $(tail -1 "$tmp/ping-2")"
check "neither lost a ping" eval '[ $r1 -eq 0 ] && [ $r2 -eq 0 ]'
# The node sees the two go a moment after they exit.
wait_for 5 eval 'P ping -c 1 >/dev/null 2>&1'
check "once they are gone a client gets in again" [ $? -eq 0 ]
e2e_stop_nodes

for v in 0 -1 65537 12x ''; do
	out=$("$pierd" --state-dir "$state" --max-connections "$v" 2>&1)
	rc=$?
	check "--max-connections '$v' is a usage error" eval \
		'[ $rc -eq 2 ] && has "$out" "expected a whole number from 1 to 65536"'
done
out=$("$pierd" --state-dir "$state" --max-sessions 4097 2>&1); rc=$?
check "--max-sessions 4097 is a usage error" eval \
	'[ $rc -eq 2 ] && has "$out" "from 1 to 4096"'
out=$("$pierd" --help)
check "--help lists both" eval \
	'has "$out" "--max-connections N" && has "$out" "--max-sessions N"'

# The open-file limit: 64 + 1000 connections + 2 per session (64). The
# hard limit is set to 4000, which only root may do from below it.
hard=$(ulimit -Hn)
if [ "$(id -u)" -ne 0 ] && [ "$hard" != unlimited ] && [ "$hard" -lt 4000 ]
then
	skip "a soft limit of 200 is raised to fit 1000 connections" \
		"the hard limit is $hard and this is not root"
else
	log2=$tmp/pierd-2.log
	( ulimit -Sn 200 && ulimit -Hn 4000 &&
		exec "$pierd" --state-dir "$state" --listen "127.0.0.1:$port" \
		--docker-host "$nodock" --max-connections 1000 ) >"$log2" 2>&1 &
	p3=$!
	pids+=($p3)
	wait_for 5 grep -q " ready: " "$log2"
	out=$(cat "$log2")
	check "a soft limit of 200 is raised to fit 1000 connections" \
		has "$out" "raised the open-file limit from 200 to 1192 for 1000 connections and 64 sessions"
	out=$(grep "open files" "/proc/$p3/limits")
	check "the process's soft limit is 1192" has "$out" " 1192 *4000 "
	e2e_stop_nodes
fi
out=$( ulimit -n 300 && "$pierd" --state-dir "$state" \
	--listen "127.0.0.1:$port" --docker-host "$nodock" \
	--max-connections 100 --max-sessions 100 2>&1 ); rc=$?
check "a hard limit too small stops the node with the reason" eval \
	'[ $rc -eq 1 ] && has "$out" "100 connections and 100 sessions need about 364 open files, and this process may open 300 at most"'
log3=$tmp/pierd-3.log
( ulimit -n 300 && exec "$pierd" --state-dir "$state" \
	--listen "127.0.0.1:$port" --docker-host "$nodock" \
	--max-connections 100 --max-sessions 1 ) >"$log3" 2>&1 &
pids+=($!)
wait_for 5 grep -q " ready: " "$log3"
out=$(cat "$log3")
check "the same limit is enough for 100 connections and 1 session" eval \
	'has "$out" " ready: " && ! has "$out" "open-file"'
e2e_stop_nodes

if docker version >/dev/null 2>&1; then
	ctr=pier-e2e-maxc-$$
	tag=max-conns
	cleanup_more() { docker rm -f "$ctr" >/dev/null 2>&1; }
	cfg=$tmp/client-2
	e2e_joined_node --max-sessions 1
	PIER_CONFIG_DIR=$cfg ontty "$pier" exec -it "n1/$ctr" sleep 30 \
		>"$tmp/x1" 2>&1 &
	x1=$!
	up_within 100 "sleep 30"
	out=$(PIER_CONFIG_DIR=$cfg ontty "$pier" exec -it "n1/$ctr" true 2>&1)
	check "with --max-sessions 1 a second session is refused" \
		has "$out" "this node holds 1 session already"
	kill $x1 2>/dev/null; wait $x1 2>/dev/null
	e2e_stop_nodes
else
	skip "--max-sessions 1 refuses a second session" "no Docker engine"
fi
e2e_done
