#!/usr/bin/env bash
# End to end over loopback, handshakes as scripts make them: keys made
# with `pierd key create` and joined at once, 20 rounds with no pause;
# 20 `pier ping` of one client at the same moment, all answered; a
# client whose clock is an hour off told so by the node (the test moves
# the client's clock with PIER_TEST_CLOCK_OFFSET_MS), and a restart
# after which the client goes on. Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init handshake
state=$tmp/state
log=$tmp/pierd.log
port=$(free_port)
cfg=$tmp/client.1	# the client of the first round, for the rest

check "pierd starts" start_node "$state" "$port" "$dockerhost" "$log"

# Make a key and join with it at once, 20 times.
bad=0
for i in $(seq 20); do
	key=$("$pierd" key create --state-dir "$state" --role viewer \
		--name "k$i" 2>"$tmp/err") || {
		bad=$((bad + 1)); out=$(cat "$tmp/err"); continue; }
	o=$(PIER_CONFIG_DIR=$tmp/client.$i "$pier" join "$key" --name n1 2>&1) || {
		bad=$((bad + 1)); out="round $i: $o"; }
done
check "20 keys made with pierd key create each join at once" \
	eval '[ $bad -eq 0 ]'
check "no handshake was refused for a key the node had not read yet" \
	eval '! grep -q "no access key fits" "$log"'

# 20 pings of one client key at the same moment.
for i in $(seq 20); do
	P ping n1 -c 1 >"$tmp/ping.$i" 2>&1 &
	ppids[$i]=$!
done
bad=0
for i in $(seq 20); do
	wait "${ppids[$i]}" || bad=$((bad + 1))
done
out=$(cat "$tmp"/ping.* | grep -v "^connected\|^reply\|sent,\|^$" | head -5)
check "20 pier ping of one client at once are all answered ($bad failed)" \
	eval '[ $bad -eq 0 ]'
check "the node refused none of them as a replay" \
	eval '! grep -q "replayed" "$log"'

out=$(PIER_TEST_CLOCK_OFFSET_MS=3600000 P ping n1 -c 1 2>&1); rc=$?
check "a client clock an hour ahead is refused, naming the skew" \
	eval '[ $rc -ne 0 ] && has "$out" "node closed the connection: client clock is 3600 s ahead of the node'"'"'s"'
out=$(PIER_TEST_CLOCK_OFFSET_MS=-3600000 P ping n1 -c 1 2>&1); rc=$?
check "... and an hour behind" \
	eval '[ $rc -ne 0 ] && has "$out" "client clock is 3600 s behind the node'"'"'s"'
out=$(PIER_TEST_CLOCK_OFFSET_MS=-60000 P ping n1 -c 1 2>&1); rc=$?
check "a clock a minute behind is within the window" eval '[ $rc -eq 0 ]'

e2e_stop_nodes
check "pierd starts again on the same state" \
	start_node "$state" "$port" "$dockerhost" "$log.2"
out=$(P ping n1 -c 1 2>&1); rc=$?
check "the client goes on after the restart" eval '[ $rc -eq 0 ]'

e2e_done
