#!/usr/bin/env bash
# End to end against the real engine: logs across nodes (logs.select).
# Two pierd nodes (both on the one engine, so each sees every container):
# merged logs of a container on each, ordered by time and prefixed; a
# selection by label across both nodes; --grep counted against docker
# logs | grep -E (with -v, -i and --context); --since searching history;
# --json; a container started mid-follow joining and leaving; a node
# killed and restarted mid-follow, whose lines resume without a
# duplicate or a gap; the engine going away and coming back (a relay in
# front of it) resumed the same way; 10000 matching containers refused;
# a bad pattern named at its position; the one-container form still
# byte for byte docker logs. Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init logs
image=${PIER_TEST_IMAGE:-pier-test/busybox:latest}
tag=pe2el$$

# cleanup_more: this test's containers.
cleanup_more() {
	docker ps -aq --filter "label=pier.test.case=$tag" |
		xargs -r docker rm -f >/dev/null 2>&1
}

# run_c NAME ARGS...: a labelled container of the test image, detached.
run_c() {
	local name=$1; shift
	docker run -d --network none --name "$tag-$name" --label pier.test=1 \
		--label "pier.test.case=$tag" "$@" >/dev/null
}
# lines_of FILE PATTERN: how many lines of FILE match.
lines_of() { grep -c -- "$2" "$1" 2>/dev/null; }

e2e_need_docker

export PIER_CONFIG_DIR=$tmp/client
port1=$(free_port)
port2=$(free_port)
check "two pierd nodes start with the real engine" eval \
	'start_node "$tmp/s1" "$port1" "$dockerhost" "$tmp/l1" &&
	start_node "$tmp/s2" "$port2" "$dockerhost" "$tmp/l2"'
pid1=${pids[0]}
"$pier" join "$("$pierd" key show --state-dir "$tmp/s1" \
	--listen "127.0.0.1:$port1")" --name n1 >/dev/null 2>&1
"$pier" join "$("$pierd" key show --state-dir "$tmp/s2" \
	--listen "127.0.0.1:$port2")" --name n2 >/dev/null 2>&1

# Two tickers, one read through each node.
tick='i=0; while true; do i=$((i+1)); echo $0$i; sleep 0.1; done'
run_c a --label "pier.test.lab=$tag" "$image" sh -c "$tick" a
run_c b --label "pier.test.lab=$tag" "$image" sh -c "$tick" b
wait_for 10 eval '[ "$(docker logs $tag-b 2>&1 | wc -l)" -ge 5 ]'

"$pier" logs --json "n1/$tag-a" "n2/$tag-b" >"$tmp/m.json" 2>"$tmp/m.err"
rc=$?
out="rc=$rc $(head -c 600 "$tmp/m.json") $(cat "$tmp/m.err")"
check "logs of two nodes: every line of both, merged by time" \
	python3 -c 'import json,sys
ls=[json.loads(l) for l in open(sys.argv[1])]
ts=[l["time"] for l in ls]
assert ts==sorted(ts), "not in time order"
a=[l["line"] for l in ls if l["node"]=="n1" and l["container"].endswith("-a")]
b=[l["line"] for l in ls if l["node"]=="n2" and l["container"].endswith("-b")]
assert len(a)+len(b)==len(ls) and len(a)>=5 and len(b)>=5, (len(a),len(b))
assert a==["a%d"%i for i in range(1,len(a)+1)], a
assert b==["b%d"%i for i in range(1,len(b)+1)], b' "$tmp/m.json"

"$pier" logs "n1/$tag-a" "n2/$tag-b" >"$tmp/p" 2>/dev/null
out=$(head -3 "$tmp/p")
check "logs of two nodes: NODE/CONTAINER | line, plain when not a terminal" \
	eval 'grep -q "^n1/$tag-a | a1$" "$tmp/p" &&
	grep -q "^n2/$tag-b | b1$" "$tmp/p" && ! grep -q $'"'"'\e'"'"' "$tmp/p"'

# On a terminal the prefix has a colour of its container's, every run.
ontty "$pier" logs --tail 2 "n1/$tag-a" "n2/$tag-b" >"$tmp/t1" 2>&1
ontty "$pier" logs --tail 2 "n1/$tag-a" "n2/$tag-b" >"$tmp/t2" 2>&1
ca=$(grep -ao $'\e\[[0-9]*mn1/'"$tag-a" "$tmp/t1" | sort -u)
cb=$(grep -ao $'\e\[[0-9]*mn2/'"$tag-b" "$tmp/t1" | sort -u)
out=$(cat -v "$tmp/t1")
check "logs on a terminal: NODE/CONTAINER in a colour that stays with it" \
	eval '[ "$(wc -l <<<"$ca")" = 1 ] && [ "$(wc -l <<<"$cb")" = 1 ] &&
	[ -n "$ca" ] && [ -n "$cb" ] &&
	[ "$(grep -ao $'"'"'\e\[[0-9]*mn1/'"'"'"$tag-a" "$tmp/t2" |
	sort -u)" = "$ca" ]'

# Merged follow: new lines of both keep coming.
"$pier" logs -f --tail 1 "n1/$tag-a" "n2/$tag-b" >"$tmp/f" 2>&1 &
fpid=$!
wait_for 10 eval '[ "$(lines_of "$tmp/f" "^n1/$tag-a | ")" -ge 10 ] &&
	[ "$(lines_of "$tmp/f" "^n2/$tag-b | ")" -ge 10 ]'
out=$(tail -4 "$tmp/f")
check "logs -f of two nodes: both containers' new lines in one stream" \
	eval '[ "$(lines_of "$tmp/f" "^n1/$tag-a | ")" -ge 10 ] &&
	[ "$(lines_of "$tmp/f" "^n2/$tag-b | ")" -ge 10 ]'
kill -INT "$fpid"; wait "$fpid"; rc=$?
check "logs -f: Ctrl-C ends it with exit 0" [ $rc -eq 0 ]

# A label selects on every joined node (both see both containers).
"$pier" logs --json --tail 2 --filter "label=pier.test.lab=$tag" \
	>"$tmp/l.json" 2>"$tmp/l.err"; rc=$?
out="rc=$rc $(cat "$tmp/l.err") $(cut -c1-120 "$tmp/l.json")"
check "logs --filter label=: the labelled containers of both nodes" \
	python3 -c 'import json,sys
ls=[json.loads(l) for l in open(sys.argv[1])]
got=sorted(set((l["node"],l["container"][-1]) for l in ls))
assert got==[("n1","a"),("n1","b"),("n2","a"),("n2","b")], got
assert len(ls)==8, len(ls)' "$tmp/l.json"

# --grep on the nodes, counted against docker logs | grep -E.
run_c g "$image" sh -c 'i=0; while [ $i -lt 1000 ]; do i=$((i+1));
	if [ $((i % 10)) = 0 ]; then echo "ERROR $i"; else echo "ok $i"; fi
	done; echo "Error mixed case" >&2; sleep 600'
wait_for 10 eval 'docker logs $tag-g 2>&1 | grep -q mixed'
want=$(docker logs "$tag-g" 2>/dev/null | grep -cE 'ERROR [0-9]+0$')
got=$("$pier" logs "n1/$tag-g" --grep 'ERROR [0-9]+0$' 2>/dev/null | wc -l)
out="docker logs | grep -E: $want, pier --grep: $got"
check "logs --grep: only the matching lines cross (100 of 1001)" \
	eval '[ "$want" = 100 ] && [ "$got" = 100 ]'
got=$("$pier" logs "n1/$tag-g" --grep 'ERROR' -v 2>/dev/null | wc -l)
out="pier --grep -v: $got"
check "logs --grep -v: the others (900 on stdout)" [ "$got" = 900 ]
got=$("$pier" logs "n1/$tag-g" --grep 'error' -i 2>&1 >/dev/null | wc -l)
out="pier --grep -i on stderr: $got"
check "logs --grep -i: stderr's line, apart on stderr" [ "$got" = 1 ]
"$pier" logs "n1/$tag-g" --grep '^ERROR (10|500)$' --context 2 \
	>"$tmp/c" 2>/dev/null
out=$(cat "$tmp/c")
check "logs --grep --context 2: two lines around each match" \
	eval '[ "$(wc -l <"$tmp/c")" = 10 ] && grep -qx "ERROR 500" "$tmp/c" &&
	grep -qx "ok 498" "$tmp/c" && grep -qx "ok 502" "$tmp/c"'
"$pier" logs "n1/$tag-g" n2/ --grep '^ERROR 500$' --context 1 \
	>"$tmp/c" 2>/dev/null
out=$(cat "$tmp/c")
check "logs --context with a prefix: context lines marked with -" \
	eval 'grep -q "^n1/$tag-g | ERROR 500$" "$tmp/c" &&
	grep -q "^n1/$tag-g - ok 499$" "$tmp/c"'
run_c w "$image" awk 'BEGIN { s = sprintf("%9000s", ""); gsub(/ /, "x", s)
	for (i = 0; i < 20; i++) print i s; print "MATCH"; fflush()
	system("sleep 600") }'
wait_for 10 eval 'docker logs $tag-w 2>&1 | grep -q MATCH'
got=$("$pier" logs "n1/$tag-w" --grep MATCH --context 10 2>/dev/null |
	wc -l)
out="lines: $got"
check "logs --context keeps at most 64 KiB before a match (7 of 9000 bytes)" \
	[ "$got" = 8 ]
out=$("$pier" logs "n1/$tag-g" --grep 'a(b' 2>&1); rc=$?
check "logs --grep with a bad pattern: an error naming the position" \
	eval '[ $rc -ne 0 ] && has "$out" "position 4"'
out=$("$pier" logs "n1/$tag-g" -i 2>&1); rc=$?
check "logs -i without --grep: a usage error" eval '[ $rc = 2 ]'

# --since searches history: the engine's log files are the store.
run_c h "$image" sh -c 'echo before; sleep 2; echo after; sleep 600'
wait_for 10 eval 'docker logs $tag-h 2>&1 | grep -q after'
t=$(docker logs -t "$tag-h" 2>/dev/null | awk '/ after$/ {print $1}')
since=$(python3 -c 'import sys,datetime
t=sys.argv[1][:19]
print(int(datetime.datetime.strptime(t,"%Y-%m-%dT%H:%M:%S").replace(
	tzinfo=datetime.timezone.utc).timestamp()))' "$t")
out=$("$pier" logs "n1/$tag-h" "n1/$tag-g" --since "$since" --grep '.' \
	2>&1); rc=$?
check "logs --since T --grep: only the history after T" \
	eval '[ $rc -eq 0 ] && [ "$out" = "n1/$tag-h | after" ]'
got=$("$pier" logs "n1/$tag-g" --since 24h --grep 'ERROR' 2>/dev/null |
	wc -l)
out="--since 24h --grep ERROR: $got"
check "logs --since 24h --grep: the day's matches" [ "$got" = 100 ]

# A container started mid-follow joins; stopped, it leaves.
"$pier" logs -f --filter "label=pier.test.join=$tag" n1/ >"$tmp/j" \
	2>"$tmp/je" &
jpid=$!
wait_for 10 eval 'grep -q "logs.select (filtered containers)" "$tmp/l1" ||
	grep -q "logs.select" "$tmp/l1"'
run_c j --label "pier.test.join=$tag" "$image" sh -c "$tick" j
wait_for 10 eval 'grep -q "^n1/$tag-j | j3$" "$tmp/j"'
out="$(cat "$tmp/je") $(head -3 "$tmp/j")"
check "logs -f --filter: a container started later joins, from its 1st line" \
	eval 'grep -q "^n1/$tag-j joined$" "$tmp/je" &&
	grep -q "^n1/$tag-j | j1$" "$tmp/j"'
docker stop -t 1 "$tag-j" >/dev/null
wait_for 10 eval 'grep -q "^n1/$tag-j left: stopped$" "$tmp/je"'
out=$(cat "$tmp/je")
check "logs -f --filter: a container that stops leaves with a line" \
	has "$out" "n1/$tag-j left: stopped"
kill -INT "$jpid"; wait "$jpid"

# Named containers followed end the stream once they have all stopped.
run_c s1 "$image" sh -c 'echo s1; sleep 600'
run_c s2 "$image" sh -c 'echo s2; sleep 600'
"$pier" logs -f "n1/$tag-s1" "n2/$tag-s2" >"$tmp/s" 2>"$tmp/se" &
spid=$!
wait_for 10 eval 'grep -q "| s1$" "$tmp/s" && grep -q "| s2$" "$tmp/s"'
docker stop -t 1 "$tag-s1" "$tag-s2" >/dev/null
wait_for 10 eval '! kill -0 $spid 2>/dev/null' || kill -9 "$spid"
wait "$spid"; rc=$?
out="rc=$rc $(cat "$tmp/se")"
check "logs -f of named containers: ends, exit 0, once all have stopped" \
	eval '[ $rc -eq 0 ] && grep -q "n1/$tag-s1 left: stopped" "$tmp/se" &&
	grep -q "n2/$tag-s2 left: stopped" "$tmp/se"'

# A node killed and restarted mid-follow: resumed without a duplicate.
"$pier" logs -f --json --tail 1 "n1/$tag-a" "n2/$tag-b" >"$tmp/k" \
	2>"$tmp/ke" &
kpid=$!
wait_for 10 eval '[ "$(lines_of "$tmp/k" "\"n1\"")" -ge 5 ]'
kill -9 "$pid1"; wait "$pid1" 2>/dev/null
wait_for 10 eval 'grep -q "n1: .*reconnecting" "$tmp/ke"'
before=$(lines_of "$tmp/k" '"n1"')
sleep 1	# the node is away for a while: its container goes on writing
check "the killed node starts again" \
	start_node "$tmp/s1" "$port1" "$dockerhost" "$tmp/l1"
wait_for 20 eval '[ "$(lines_of "$tmp/k" "\"n1\"")" -ge $((before + 20)) ]'
kill -INT "$kpid"; wait "$kpid"
out="$(cat "$tmp/ke") n1 lines: $before then $(lines_of "$tmp/k" '"n1"')"
check "logs -f: a node killed and restarted is resumed, no duplicate or gap" \
	python3 -c 'import json,sys
a=[json.loads(l)["line"] for l in open(sys.argv[1]) if "\"n1\"" in l]
a=[l for l in a if l.startswith("a")]
n=[int(l[1:]) for l in a]
assert n==list(range(n[0],n[0]+len(n))), n
assert len(n)>=25, len(n)' "$tmp/k"
check "logs -f: the client said it reconnected" \
	grep -q "n1: reconnected; resuming after 20" "$tmp/ke"

# The engine going away under a follow (a relay in front of it, killed
# and started again): the node says so, reconnects and resumes.
fix=${PIER_SOURCE_ROOT:-$(dirname "$0")/..}/tests/fixtures/docker-unix-relay.py
engine=${dockerhost#unix://}
relay=$tmp/relay.sock
python3 "$fix" "$relay" "$engine" &
rpid=$!
pids+=($rpid)
wait_for 5 test -S "$relay"
port3=$(free_port)
check "a third node, behind a relay to the engine" \
	start_node "$tmp/s3" "$port3" "unix://$relay" "$tmp/l3"
"$pier" join "$("$pierd" key show --state-dir "$tmp/s3" \
	--listen "127.0.0.1:$port3")" --name n3 >/dev/null 2>&1
"$pier" logs -f --json --tail 1 "n3/$tag-a" >"$tmp/r" 2>"$tmp/re" &
rfpid=$!
wait_for 10 eval '[ "$(lines_of "$tmp/r" "\"line\"")" -ge 5 ]'
kill -9 "$rpid"; wait "$rpid" 2>/dev/null
wait_for 10 grep -q '"event":"engine","why":"the engine went away' "$tmp/r"
before=$(lines_of "$tmp/r" '"line"')	# log lines, not the events
sleep 1	# the engine is away for a while: the container goes on writing
python3 "$fix" "$relay" "$engine" &
rpid=$!
pids+=($rpid)
wait_for 15 grep -q '"why":"the engine answers again' "$tmp/r"
wait_for 15 eval '[ "$(lines_of "$tmp/r" "\"line\"")" -ge $((before + 20)) ]'
kill -INT "$rfpid"; wait "$rfpid"
out="$(grep event "$tmp/r") lines: $before then $(lines_of "$tmp/r" '"line"')"
check "logs -f: an engine restart mid-follow is reconnected, no dup or gap" \
	python3 -c 'import json,sys
ev=[json.loads(l) for l in open(sys.argv[1]) if "\"event\"" in l]
assert [e["event"] for e in ev]==["engine","engine"], ev
a=[json.loads(l)["line"] for l in open(sys.argv[1]) if "\"line\"" in l]
n=[int(l[1:]) for l in a]
assert n==list(range(n[0],n[0]+len(n))), n
assert len(n)>=25, len(n)' "$tmp/r"

# A selection of 10000 containers (a fake engine's list) is refused.
python3 "$fix" "$tmp/fake.sock" --containers 10000 &
pids+=($!)
wait_for 5 test -S "$tmp/fake.sock"
port4=$(free_port)
start_node "$tmp/s4" "$port4" "unix://$tmp/fake.sock" "$tmp/l4"
"$pier" join "$("$pierd" key show --state-dir "$tmp/s4" \
	--listen "127.0.0.1:$port4")" --name n4 >/dev/null 2>&1
out=$("$pier" logs n4/ 2>&1); rc=$?
check "logs of 10000 containers: refused, naming the limit" \
	eval '[ $rc = 1 ] && has "$out" "matches 10000 containers" &&
	has "$out" "at most 1000"'

# The one-container form stays docker logs byte for byte.
"$pier" logs "n1/$tag-g" >"$tmp/o" 2>"$tmp/e"
docker logs "$tag-g" >"$tmp/do" 2>"$tmp/de"
out=$(diff "$tmp/o" "$tmp/do" | head -5)
check "logs NODE/CONTAINER: still docker logs, byte for byte" \
	eval 'cmp -s "$tmp/o" "$tmp/do" && cmp -s "$tmp/e" "$tmp/de"'
out=$("$pier" logs --filter label=x 2>&1 n1/a); rc=$?
check "logs --filter with a NODE/CONTAINER: a usage error" \
	eval '[ $rc = 2 ] && has "$out" "NODE/ targets"'

# Every node ends cleanly on SIGTERM, its sanitizers silent.
for i in 1 2 3 4; do
	p=$(pgrep -f -- "--state-dir $tmp/s$i --listen" | head -n 1)
	[ -n "$p" ] && kill -TERM "$p"
done
wait_for 10 eval '! pgrep -f -- "--state-dir $tmp/s[1-4] --listen" >/dev/null'
out=$(grep -h -A8 -E "Sanitizer|runtime error" "$tmp"/l[1-4] | head -40)
check "the nodes' logs hold no sanitizer report" [ -z "$out" ]

e2e_done
