#!/usr/bin/env bash
# End to end against the real engine: pier in pipes and scripts behaves
# as docker's CLI does, compared byte for byte with docker's own output
# where it can be. `pier exec -i` passes stdin and its end closes the
# command's stdin; without -i stdin is not attached. `pier shell`, `exec
# -it` and `attach` with a stdin that is not a terminal fail at once with
# docker's words and leave no session. `exec -t` prints the command's
# bytes only (no repaint), and a non-terminal attach gets no repaint.
# `logs -f`, `stats`, `events`, `pull`, `exec` and `docker` end when
# their stdout's reader goes (`| head -1`), dying of SIGPIPE as docker's
# CLI does. `pier docker NODE -- ARGS` with a pipe runs the host's CLI
# with pipes: stdout, stderr and the exit code as docker's. Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init pipes
image=${PIER_TEST_IMAGE:-pier-test/busybox:latest}
tag=pe2ep$$
ctr=$tag-web

# cleanup_more: the fake engine, this test's containers.
cleanup_more() {
	[ -n "${fake:-}" ] && kill "$fake" 2>/dev/null
	docker ps -aq --filter "label=pier.test.case=$tag" |
		xargs -r docker rm -f >/dev/null 2>&1
}

# wait_for SECONDS CMD...: until CMD succeeds, polling every 0.1 s.
wait_for() {
	local i limit=$(($1 * 10)); shift
	for ((i = 0; i < limit; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
# run_c NAME ARGS...: a labelled container of the test image, detached.
run_c() {
	local name=$1; shift
	docker run -d --name "$tag-$name" --label pier.test=1 \
		--label "pier.test.case=$tag" "$@" >/dev/null
}
# ms: milliseconds since the epoch.
ms() { echo $(($(date +%s%N) / 1000000)); }
# sessions: the ids of n1's sessions, one a line.
sessions() {
	"$pier" sessions --json 2>/dev/null | python3 -c \
		'import json,sys; [print(s["id"]) for s in json.load(sys.stdin)]'
}
# head_one SECONDS CMD...: `CMD | head -1` under a deadline; sets $line
# (what head printed), $st (CMD's exit status) and $took (milliseconds).
head_one() {
	local limit=$1 t0; shift
	t0=$(ms)
	line=$(timeout "$limit" bash -c '"$@" 2>/dev/null | head -1
		echo "status=${PIPESTATUS[0]}"' _ "$@")
	took=$(($(ms) - t0))
	st=$(sed -n 's/^status=//p' <<<"$line")
	line=$(grep -v '^status=' <<<"$line")
}

e2e_need_docker

port=$(free_port)
log=$tmp/pierd.log
check "pierd starts with the real engine" \
	start_node "$tmp/state" "$port" "$dockerhost" "$log"
export PIER_CONFIG_DIR=$tmp/client
key=$("$pierd" key show --state-dir "$tmp/state" 2>/dev/null)
"$pier" join "$key" --name n1 >/dev/null 2>&1
run_c web "$image" sleep 100000

# 1. exec -i: stdin reaches the command; its end closes the command's stdin.
out=$(echo hi | timeout 20 "$pier" exec -i "n1/$ctr" cat 2>&1); rc=$?
check "echo hi | pier exec -i n1/C cat prints hi" \
	eval '[ $rc -eq 0 ] && [ "$out" = hi ]'
cmp -s <(printf 'a\nb\n' | docker exec -i "$ctr" sh -c 'cat; echo eof-seen') \
	<(printf 'a\nb\n' | timeout 20 "$pier" exec -i "n1/$ctr" sh -c \
	'cat; echo eof-seen'); rc=$?
out="cmp rc=$rc"
check "exec -i: the end of input closes stdin, as docker exec -i" \
	[ $rc -eq 0 ]
head -c 20000000 /dev/zero >"$tmp/big"
out=$(timeout 60 "$pier" exec -i "n1/$ctr" wc -c <"$tmp/big" 2>&1); rc=$?
check "exec -i: 20 MB from a file reach the command whole" \
	eval '[ $rc -eq 0 ] && [ "$(tr -d " " <<<"$out")" = 20000000 ]'
out=$(head -c 20000000 /dev/zero | timeout 60 "$pier" exec -i "n1/$ctr" \
	sh -c 'wc -c; exit 7' 2>&1); rc=$?
check "exec -i: 20 MB from a pipe, held by credit, and the exit code" \
	eval '[ $rc -eq 7 ] && [ "$(tr -d " " <<<"$out")" = 20000000 ]'
out=$(echo hi | timeout 20 "$pier" exec "n1/$ctr" cat 2>&1); rc=$?
dout=$(echo hi | docker exec "$ctr" cat 2>&1)
check "exec without -i: stdin not attached, as docker exec" \
	eval '[ $rc -eq 0 ] && [ "$out" = "$dout" ] && [ -z "$out" ]'

# 2. A stdin that is not a terminal: refused at once, nothing left.
for c in "shell n1/$ctr" "exec -it n1/$ctr sh" "attach n1/0123abcd"; do
	t0=$(ms)
	out=$(timeout 10 "$pier" $c </dev/null 2>&1); rc=$?
	took=$(($(ms) - t0))
	out="rc=$rc took=${took}ms $out"
	check "pier $c </dev/null: 'the input device is not a TTY', exit 1" \
		eval '[ $rc -eq 1 ] && [ $took -lt 3000 ] &&
		has "$out" "the input device is not a TTY"'
done
out=$(sessions)
check "and no session is left on the node" [ -z "$out" ]
out=$(echo ls | timeout 10 "$pier" shell "n1/$ctr" 2>&1); rc=$?
check "a pipe into pier shell is refused the same way" \
	eval '[ $rc -eq 1 ] && has "$out" "the input device is not a TTY" &&
	[ -z "$(sessions)" ]'

# 3. exec -t: the command's bytes, the same as docker exec -t's.
docker exec -t "$ctr" sh -c 'echo hello' >"$tmp/d" 2>&1
timeout 20 "$pier" exec -t "n1/$ctr" sh -c 'echo hello' >"$tmp/p" \
	2>&1 </dev/null; rc=$?
out="rc=$rc docker=$(od -c "$tmp/d" | head -3) pier=$(od -c "$tmp/p" | head -3)"
check "pier exec -t prints the same bytes as docker exec -t" \
	eval '[ $rc -eq 0 ] && cmp -s "$tmp/d" "$tmp/p"'
timeout 20 "$pier" exec -t "n1/$ctr" sh -c 'exit 5' </dev/null \
	>/dev/null 2>&1; rc=$?
out="rc=$rc"
check "exec -t without -i keeps the exit code" [ $rc -eq 5 ]

# 4. A second, non-terminal viewer gets the live output, no repaint.
# The second line waits for /tmp/go, made once the session has two viewers.
timeout 60 "$pier" exec -t "n1/$ctr" sh -c \
	'echo first-line; while [ ! -e /tmp/go ]; do sleep 0.05; done;
	echo second-line; sleep 60' \
	>"$tmp/s1" 2>&1 </dev/null &
wait_for 10 grep -q first-line "$tmp/s1"
sid=$(sessions | head -1)
timeout 20 "$pier" attach --read-only "n1/$sid" >"$tmp/s2" 2>&1 </dev/null &
apid=$!
wait_for 20 eval '[ "$("$pier" sessions --json 2>/dev/null | python3 -c \
	"import json,sys; print([s[\"viewers\"] for s in json.load(sys.stdin)
	if s[\"id\"] == sys.argv[1]][0])" "$sid")" = 2 ]'
docker exec "$ctr" touch /tmp/go
wait_for 10 grep -q second-line "$tmp/s2"
out="first viewer: $(od -c "$tmp/s1" | head -3) second: $(od -c "$tmp/s2" | head -3)"
check "the opener streams from the first byte, no repaint" \
	eval '[ "$(head -c 12 "$tmp/s1")" = "$(printf "first-line\r\n")" ]'
check "a non-terminal attach gets the live output only" \
	eval '[ "$(cat "$tmp/s2")" = "$(printf "second-line\r")" ]'
"$pier" kill-session "n1/$sid" >/dev/null 2>&1
wait "$apid" 2>/dev/null

# 5. Streams end with their stdout's reader (`| head -1`), by SIGPIPE.
run_c talk "$image" sh -c 'echo one; echo two; sleep 100000'
wait_for 10 eval 'docker logs $tag-talk 2>/dev/null | grep -q two'
head_one 20 "$pier" logs -f "n1/$tag-talk"
out="line=$line status=$st took=${took}ms"
check "logs -f | head -1 returns at once, pier dies of SIGPIPE (141)" \
	eval '[ "$line" = one ] && [ "$st" = 141 ] && [ $took -lt 5000 ]'
head_one 20 "$pier" stats "n1/$tag-talk"
out="line=$line status=$st took=${took}ms"
check "stats | head -1 returns at once" \
	eval '[ -n "$line" ] && [ "$st" = 141 ] && [ $took -lt 5000 ]'
( for _ in $(seq 100); do docker exec "$tag-talk" true; sleep 0.1; done ) &
gen=$!
head_one 20 "$pier" events n1
kill "$gen" 2>/dev/null
wait "$gen" 2>/dev/null
out="line=$line status=$st took=${took}ms"
check "events | head -1 returns at once" \
	eval 'has "$line" " n1 " && [ "$st" = 141 ] && [ $took -lt 10000 ]'
head_one 20 "$pier" exec "n1/$ctr" seq 1 100000000
out="line=$line status=$st took=${took}ms"
check "exec | head -1 returns at once" \
	eval '[ "$line" = 1 ] && [ "$st" = 141 ] && [ $took -lt 5000 ]'
wait_for 10 eval '! docker top $ctr | grep -q "seq 1 100000000"'
out=$(docker top "$ctr")
check "and the node ends the command it left" \
	eval '! has "$out" "seq 1 100000000"'

src=${PIER_SOURCE_ROOT:-$(dirname "$0")/..}
python3 "$src/tests/fixtures/docker-fake-pull.py" "$tmp/fake.sock" \
	"$src/tests/data/docker" &
fake=$!
wait_for 10 test -S "$tmp/fake.sock"
port2=$(free_port)
check "a second pierd on a fake engine with a slow pull" \
	start_node "$tmp/state2" "$port2" "unix://$tmp/fake.sock" "$tmp/pierd2.log"
key2=$("$pierd" key show --state-dir "$tmp/state2" 2>/dev/null)
"$pier" join "$key2" --name fake >/dev/null 2>&1
head_one 30 "$pier" pull fake example/slow:1
out="line=$line status=$st took=${took}ms"
check "pull | head -1 returns at once in a long pull" \
	eval 'has "$line" "Pulling\|Downloading\|Waiting\|: " &&
	[ "$st" = 141 ] && [ $took -lt 10000 ]'

# 6. pier docker with a pipe: the host's CLI with pipes, as ssh without -t.
docker ps -q --filter "label=pier.test.case=$tag" >"$tmp/d" 2>&1
"$pier" docker n1 -- ps -q --filter "label=pier.test.case=$tag" 2>&1 |
	cat >"$tmp/p"
out="docker: $(od -c "$tmp/d" | head -3) pier: $(od -c "$tmp/p" | head -3)"
check "pier docker n1 -- ps -q | cat is what docker ps -q prints" \
	eval '[ -s "$tmp/d" ] && cmp -s "$tmp/d" "$tmp/p"'
docker inspect "$tag-nosuch" >"$tmp/do" 2>"$tmp/de"; drc=$?
"$pier" docker n1 -- inspect "$tag-nosuch" >"$tmp/po" 2>"$tmp/pe" </dev/null
rc=$?
out="rc=$rc drc=$drc out=$(cat "$tmp/po") err=$(cat "$tmp/pe")"
check "stdout and stderr apart and the exit code, as docker's" \
	eval '[ $rc -eq $drc ] && [ $rc -ne 0 ] && cmp -s "$tmp/do" "$tmp/po" &&
	cmp -s "$tmp/de" "$tmp/pe"'
out=$(echo "piped-$tag" | "$pier" docker n1 -- exec -i "$ctr" cat 2>&1); rc=$?
check "stdin piped into pier docker reaches the CLI" \
	eval '[ $rc -eq 0 ] && [ "$out" = "piped-$tag" ]'
out=$(head -c 5000000 /dev/zero | "$pier" docker n1 -- exec -i "$ctr" \
	sh -c 'wc -c; exit 6' 2>&1); rc=$?
check "5 MB through the CLI's stdin, and its exit code" \
	eval '[ $rc -eq 6 ] && [ "$(tr -d " " <<<"$out")" = 5000000 ]'
head_one 20 "$pier" docker n1 -- logs -f "$tag-talk"
out="line=$line status=$st took=${took}ms"
check "pier docker -- logs -f | head -1 returns at once" \
	eval '[ "$line" = one ] && [ "$st" = 141 ] && [ $took -lt 5000 ]'
out=$(sessions)
check "pier docker with pipes leaves no session" [ -z "$out" ]
out=$("$pier" audit --tail 50 n1 2>&1)
check "docker.run is in the audit log" has "$out" "docker.run"

check "the node is still up" kill -0 "${pids[0]}"
e2e_stop_nodes
out=$(grep -i sanitizer "$log" "$tmp/pierd2.log" | head -3)
check "no sanitizer report" [ -z "$out" ]
e2e_done
