#!/usr/bin/env bash
# End to end against the real engine: the stream commands. pier logs with
# and without a TTY (stdout and stderr kept apart, checked against docker
# logs), --tail, --since, -t, and -f following new lines until the
# container stops; pier stats --no-stream against docker ps and with sane
# values (a busy container's CPU, memory limits, pids); pier events
# showing a test container's start and die; a pier killed with SIGKILL in
# the middle of `logs -f` and of `stats`: the node closes the Docker
# streams (its log says so) and keeps serving the next client; pier pull
# with no registry reachable failing with the engine's reason; usage
# mistakes. Prints TAP. Builds nothing: the programs come from
# $PIER_BUILD_ROOT.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init streams
image=${PIER_TEST_IMAGE:-pier-test/busybox:latest}
tag=pe2es$$

# cleanup_more: this test's containers.
cleanup_more() {
	docker ps -aq --filter "label=pier.test.case=$tag" |
		xargs -r docker rm -f >/dev/null 2>&1
}

# run_c NAME ARGS...: a labelled container of the test image, detached.
run_c() {
	local name=$1; shift
	docker run -d --name "$tag-$name" --label pier.test=1 \
		--label "pier.test.case=$tag" "$@" >/dev/null
}
# count_log PATTERN: lines of the node's log matching PATTERN.
count_log() { grep -c -- "$1" "$log" 2>/dev/null; }

e2e_need_docker

port=$(free_port)
log=$tmp/pierd.log
check "pierd starts with the real engine" \
	start_node "$tmp/state" "$port" "$dockerhost" "$log"
export PIER_CONFIG_DIR=$tmp/client
key=$("$pierd" key show --state-dir "$tmp/state" 2>/dev/null)
"$pier" join "$key" --name n1 >/dev/null 2>&1

# logs without a TTY: stdout and stderr apart, as docker keeps them.
run_c plain "$image" sh -c \
	'for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done; sleep 600'
wait_for 10 eval '[ "$(docker logs $tag-plain 2>/dev/null | wc -l)" = 5 ]'
"$pier" logs "n1/$tag-plain" >"$tmp/o" 2>"$tmp/e"; rc=$?
docker logs "$tag-plain" >"$tmp/do" 2>"$tmp/de"
out="rc=$rc stdout=$(tr '\n' ' ' <"$tmp/o") stderr=$(tr '\n' ' ' <"$tmp/e")"
check "logs: stdout to stdout and stderr to stderr, as docker logs" \
	eval '[ $rc -eq 0 ] && cmp -s "$tmp/o" "$tmp/do" &&
	cmp -s "$tmp/e" "$tmp/de" && [ "$(wc -l <"$tmp/o")" = 5 ] &&
	! grep -q err "$tmp/o" && ! grep -q out "$tmp/e"'

# logs of a TTY container: one undivided stream, on stdout.
run_c tty -t "$image" sh -c 'echo tty-out; echo tty-err >&2; sleep 600'
wait_for 10 eval 'docker logs $tag-tty 2>&1 | grep -q tty-err'
"$pier" logs "$tag-tty" >"$tmp/o" 2>"$tmp/e"; rc=$?
docker logs "$tag-tty" >"$tmp/do" 2>/dev/null
out="rc=$rc stdout=$(cat -v "$tmp/o") stderr=$(cat "$tmp/e")"
check "logs with a TTY: everything on stdout, byte for byte" \
	eval '[ $rc -eq 0 ] && cmp -s "$tmp/o" "$tmp/do" &&
	grep -q tty-err "$tmp/o" && [ ! -s "$tmp/e" ]'

# --tail, -t, --since.
out=$("$pier" logs --tail 2 "n1/$tag-plain" 2>/dev/null); rc=$?
check "logs --tail 2: the last two stdout lines (docker's count)" \
	eval '[ $rc -eq 0 ] && [ "$out" = "$(docker logs --tail 2 \
	$tag-plain 2>/dev/null)" ]'
out=$("$pier" logs -t "n1/$tag-plain" 2>/dev/null); rc=$?
check "logs -t: each line starts with its RFC 3339 time" \
	eval '[ $rc -eq 0 ] && [ "$(wc -l <<<"$out")" = 5 ] &&
	! grep -Evq "^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z out[1-5]$" \
	<<<"$out"'
out=$("$pier" logs --since 2099-01-01T00:00:00Z "n1/$tag-plain" 2>&1); rc=$?
check "logs --since a future time: nothing" eval '[ $rc -eq 0 ] &&
	[ -z "$out" ]'
out=$("$pier" logs --since 1h "n1/$tag-plain" 2>/dev/null | wc -l); rc=$?
check "logs --since 1h: every line" eval '[ "$out" = 5 ]'

# -f follows new lines and ends, exit 0, when the container stops.
run_c follow "$image" sh -c \
	'i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.2; done'
"$pier" logs -f "n1/$tag-follow" >"$tmp/f" 2>&1 &
fpid=$!
wait_for 10 eval 'grep -qs tick3 "$tmp/f"'
a=$(wc -l <"$tmp/f")
wait_for 10 eval '[ "$(wc -l <"$tmp/f")" -gt "$a" ]'
b=$(wc -l <"$tmp/f")
out="lines $a then $b"
check "logs -f: new lines keep coming" eval '[ "$b" -gt "$a" ]'
docker stop -t 1 "$tag-follow" >/dev/null
wait_for 10 eval '! kill -0 $fpid 2>/dev/null'
wait "$fpid"; rc=$?
out="rc=$rc $(tail -2 "$tmp/f")"
check "logs -f: ends with exit 0 when the container stops" \
	eval '[ $rc -eq 0 ] && grep -q tick "$tmp/f"'

# logs -f killed with SIGKILL: the node stops the Docker stream.
run_c busy "$image" sh -c 'while true; do :; done'
before=$(count_log "logs of $tag-plain: stream freed")
"$pier" logs -f "n1/$tag-plain" >/dev/null 2>&1 &
kpid=$!
wait_for 10 eval 'grep -q "logs of $tag-plain: streaming (follow)" "$log"'
kill -9 "$kpid"; wait "$kpid" 2>/dev/null
out=$(tail -5 "$log")
check "logs -f killed: the node closes the stream and frees it" \
	wait_for 10 eval '[ "$(count_log "logs of $tag-plain: stream freed")" \
	-gt "$before" ]'
out=$("$pier" logs "n1/$tag-plain" 2>/dev/null); rc=$?
check "logs -f killed: the node serves the next client" \
	eval '[ $rc -eq 0 ] && [ "$(wc -l <<<"$out")" = 5 ] &&
	[ "$out" = "$(docker logs $tag-plain 2>/dev/null)" ]'

# stats --no-stream: the running containers docker ps lists, sane values.
"$pier" stats --no-stream --json >"$tmp/s.json" 2>"$tmp/s.err"; rc=$?
# (only this test's containers: other tests may start and stop theirs)
docker ps --format '{{.Names}}' | grep "^$tag-" | sort >"$tmp/ps"
python3 -c 'import json,sys; [print(r["name"]) for r in json.load(open(sys.argv[1]))]' \
	"$tmp/s.json" 2>/dev/null | grep "^$tag-" | sort >"$tmp/st"
out="rc=$rc $(cat "$tmp/s.err") diff: $(diff "$tmp/ps" "$tmp/st" | tr '\n' ' ')"
check "stats --no-stream: the containers docker ps lists, no more" \
	eval '[ $rc -eq 0 ] && [ -s "$tmp/ps" ] && cmp -s "$tmp/ps" "$tmp/st"'
out=$(python3 - "$tmp/s.json" "$tag" <<'EOF'
import json, sys
rows = {r["name"]: r for r in json.load(open(sys.argv[1]))}
tag = sys.argv[2]
bad = []
for r in rows.values():
    if r["node"] != "n1" or len(r["id"]) != 64:
        bad.append("node/id " + r["name"])
    if not (0 < r["mem_used"] <= r["mem_limit"]) or r["pids"] < 1:
        bad.append("mem/pids " + r["name"])
    if not (0 <= r["mem_pct"] <= 100):
        bad.append("mem_pct " + r["name"])
busy = rows.get(tag + "-busy")
if busy is None or busy["cpu_pct"] < 20:
    bad.append("busy cpu %s" % (busy and busy["cpu_pct"]))
idle = rows.get(tag + "-plain")
if idle is None or idle["cpu_pct"] > 20:
    bad.append("idle cpu")
print(" ".join(bad))
EOF
)
check "stats --no-stream: sane values (a busy loop near a CPU, memory \
within its limit, pids)" eval '[ -z "$out" ]'
out=$("$pier" stats --no-stream "n1/$tag-busy" 2>&1); rc=$?
check "stats --no-stream NODE/CONTAINER: docker's columns and one row" \
	eval '[ $rc -eq 0 ] && has "$out" "^NODE *CONTAINER ID *NAME *CPU % *MEM USAGE / LIMIT *MEM % *NET I/O *BLOCK I/O *PIDS" &&
	[ "$(wc -l <<<"$out")" = 2 ] && has "$out" "^n1 .* $tag-busy "'

# stats (streaming) killed with SIGKILL: the hub closes every stream.
before=$(count_log "stats hub: idle, freed")
"$pier" stats >"$tmp/live" 2>&1 &
kpid=$!
wait_for 15 eval 'grep -qs "$tag-busy" "$tmp/live"'
frames1=$(grep -c "$tag-busy" "$tmp/live")
wait_for 10 eval '[ "$(grep -c "$tag-busy" "$tmp/live")" -gt "$frames1" ]'
frames2=$(grep -c "$tag-busy" "$tmp/live")
out="frames $frames1 then $frames2"
check "stats: the table is redrawn every second" \
	eval '[ "$frames2" -ge $((frames1 + 1)) ]'
kill -9 "$kpid"; wait "$kpid" 2>/dev/null
out=$(tail -8 "$log")
check "stats killed: the node closes its Docker streams, the hub idles" \
	wait_for 10 eval '[ "$(count_log "stats hub: idle, freed")" \
	-gt "$before" ]'
out=$("$pier" stats --no-stream "$tag-plain" 2>&1); rc=$?
check "stats killed: the node serves the next client" \
	eval '[ $rc -eq 0 ] && has "$out" "$tag-plain"'

# events: a test container's start and die, with the node's name.
"$pier" events --json --filter "label=pier.test.case=$tag" >"$tmp/ev" \
	2>&1 &
epid=$!
# Live once a probe event shows: a SIGWINCH to a test container, whose
# sleep ignores it (a subscription not yet live would miss the run).
wait_for 10 eval 'docker kill -s WINCH "$tag-plain" >/dev/null 2>&1;
	grep -q "\"Action\":\"kill\"" "$tmp/ev"'
docker run --name "$tag-ev" --label pier.test=1 \
	--label "pier.test.case=$tag" "$image" true >/dev/null 2>&1
wait_for 10 eval 'grep -q "\"Action\":\"die\"" "$tmp/ev"'
kill -INT "$epid"; wait "$epid"; rc=$?
out="rc=$rc $(cat "$tmp/ev")"
check "events: start and die of a test container, node n1, exit 0 on ^C" \
	eval '[ $rc -eq 0 ] &&
	grep "\"Action\":\"start\"" "$tmp/ev" | grep -q "\"node\":\"n1\"" &&
	grep -q "\"Action\":\"die\".*$tag-ev" "$tmp/ev"'
"$pier" events >"$tmp/ev2" 2>&1 &
epid=$!
wait_for 10 eval 'docker kill -s WINCH "$tag-plain" >/dev/null 2>&1;
	grep -q " container kill .*name=$tag-plain" "$tmp/ev2"'
docker start "$tag-ev" >/dev/null 2>&1
wait_for 10 eval 'grep -q " container die .*name=$tag-ev" "$tmp/ev2"'
kill -INT "$epid"; wait "$epid"; rc=$?
out="rc=$rc $(cat "$tmp/ev2")"
check "events: plain lines name the node, type, action and container" \
	eval '[ $rc -eq 0 ] &&
	grep -Eq "Z n1 container start [0-9a-f]{64} \(.*name=$tag-ev" "$tmp/ev2"'

# pull: no registry is reachable here; the engine's reason comes back.
out=$("$pier" pull n1 127.0.0.1:1/pier-test/none:latest 2>&1); rc=$?
check "pull: an unreachable registry fails with the engine's reason" \
	eval '[ $rc -eq 1 ] && has "$out" "127.0.0.1:1" &&
	has "$out" "connection refused"'
out=$(tail -3 "$log")
check "pull: the node logs the failure and frees the stream" \
	eval 'grep -q "pull of 127.0.0.1:1/pier-test/none:latest: stream freed" "$log"'

# pull with progress, from a fake engine (the real one reaches no
# registry here): recorded progress of a pull that works and of one that
# breaks midway, through the node's stream code to pier's display.
src=${PIER_SOURCE_ROOT:-$(dirname "$0")/..}
python3 "$src/tests/fixtures/docker-fake-pull.py" "$tmp/fake.sock" \
	"$src/tests/data/docker" &
pids+=($!)
wait_for 10 test -S "$tmp/fake.sock"
port2=$(free_port)
log2=$tmp/pierd2.log
check "a second pierd on the fake engine" \
	start_node "$tmp/state2" "$port2" "unix://$tmp/fake.sock" "$log2"
key2=$("$pierd" key show --state-dir "$tmp/state2" 2>/dev/null)
"$pier" join "$key2" --name fake >/dev/null 2>&1
out=$("$pier" pull fake example/ok:3.19 2>&1); rc=$?
check "pull: per-layer progress lines when not on a terminal, exit 0" \
	eval '[ $rc -eq 0 ] && has "$out" "^4abcf2066143: Downloading" &&
	has "$out" "^c6a83fedfae6: Pull complete" &&
	has "$out" "^4abcf2066143: Pull complete" && ! has "$out" "\\[="'
out=$("$pier" pull fake example/fail:3.19 2>&1); rc=$?
check "pull: a pull breaking midway shows its progress, then the reason" \
	eval '[ $rc -eq 1 ] && has "$out" "^4abcf2066143: Downloading" &&
	has "$out" "connection reset by peer"'
out=$("$pier" pull fake example/none:1 2>&1); rc=$?
check "pull: an image the engine refuses at once" \
	eval '[ $rc -eq 1 ] && has "$out" "repository does not exist"'
if command -v script >/dev/null 2>&1; then
	out=$(COLUMNS=120 LINES=40 script -qec \
		"stty cols 120 rows 40; $pier pull fake example/ok:3.19" \
		/dev/null 2>&1 | cat -v); rc=$?
	check "pull on a terminal: bars redrawn in place" \
		eval '[ $rc -eq 0 ] && has "$out" "\\[=" &&
		has "$out" "\\^\\[\\[[0-9]*A" && has "$out" "Pull complete"'
fi

# Back-pressure: a client that stops reading a fast logs -f stalls the
# Docker stream instead of growing the node.
run_c flood --log-opt max-size=50m --log-opt max-file=1 "$image" \
	sh -c 'yes 0123456789012345678901234567890123456789012345678901234567'
npid=${pids[0]}
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
r0=$(rss "$npid")
mkfifo "$tmp/pipe"
"$pier" logs -f "n1/$tag-flood" >"$tmp/pipe" 2>/dev/null &
fpid=$!
exec 7<"$tmp/pipe"
head -c 100000 <&7 >/dev/null	# reads a little, then stops reading
sleep 5		# kept: the time the stalled reader is tested over
r1=$(rss "$npid")
out="node RSS ${r0} kB, then ${r1} kB with a stalled reader"
check "logs -f to a reader that stopped: the node's memory stays flat" \
	eval '[ $((r1 - r0)) -lt 40000 ]'
got=$(timeout 10 head -c 1000000 <&7 | wc -c)
out="read $got bytes after resuming"
check "logs -f: the stream flows again once the reader reads" \
	eval '[ "$got" -eq 1000000 ]'
exec 7<&-
kill -9 "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null
docker rm -f "$tag-flood" >/dev/null 2>&1

# Mistakes.
out=$("$pier" logs 2>&1); rc=$?
check "logs without a container: usage, exit 2" eval '[ $rc -eq 2 ]'
out=$("$pier" logs --tail lots "n1/$tag-plain" 2>&1); rc=$?
check "logs --tail lots: refused" eval '[ $rc -ne 0 ] && has "$out" "tail"'
out=$("$pier" logs "n1/$tag-nosuch" 2>&1); rc=$?
check "logs of a missing container: a clear error, exit 1" \
	eval '[ $rc -eq 1 ] && has "$out" "$tag-nosuch"'
out=$("$pier" stats --no-stream "n1/$tag-nosuch" 2>&1); rc=$?
check "stats of a missing container: a clear error, exit 1" \
	eval '[ $rc -eq 1 ] && has "$out" "$tag-nosuch"'
out=$("$pier" events nosuchnode 2>&1); rc=$?
check "events of an unknown node: exit 1" eval '[ $rc -eq 1 ] &&
	has "$out" nosuchnode'
check "the node is still up" kill -0 "${pids[0]}"

e2e_done
