#!/usr/bin/env bash
# End to end: interactive shells. A pierd on 127.0.0.1 with the real
# engine, `pier` driven under real PTYs by tmux (send-keys and
# capture-pane): a command typed and its output read, a resize seen by
# `stty size` in the container, the TCP link cut under a live session (the
# client goes through a small proxy we control, which resets its
# connections) and the client reattaching by itself with the earlier
# screen, two viewers of one session, detach with ~. and attach again,
# `pier exec` exit codes and stdout/stderr apart, `pier exec -it`, the
# Docker CLI terminal, and the faults: a stopped container, one without a
# shell, one removed under a session, a client killed mid-session, a
# viewer pasting megabytes, a viewer key refused. Prints TAP.
set -u

build=${PIER_BUILD_ROOT:?PIER_BUILD_ROOT is not set}
pierd=$build/node/pierd
pier=$build/tools/pier/pier
tmp=$(mktemp -d /tmp/pier-e2e-shell.XXXXXX)
tag=e2e-shell-$$
ctr=pier-$tag
sock=pier-$tag		# the tmux server
pid=
proxy_pid=
n=0
failed=0

cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null
	[ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	docker ps -aq --filter "label=pier.test.case=$tag" | xargs -r docker rm -f >/dev/null 2>&1
	docker rmi -f "pier-test/noshell:$tag" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

# TAP output, has, free_port, P and the tmux helpers (tstart, tkeys,
# tscreen, twait).
. "$(dirname "$0")/e2e-lib.sh"

# count PATTERN TEXT: how many lines of TEXT match.
count() { grep -c -- "$1" <<<"$2"; }

if ! docker version >/dev/null 2>&1; then
	echo "1..0 # SKIP no docker CLI or engine here"
	exit 0
fi
e2e_need_tmux

# The proxy: forwards 127.0.0.1:$pport to pierd; SIGUSR1 resets every
# connection it carries (the link dies, the node and the client live).
cat >"$tmp/proxy.py" <<'EOF'
import os, selectors, signal, socket, struct, sys
lport, dport = int(sys.argv[1]), int(sys.argv[2])
sel = selectors.DefaultSelector()
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", lport)); ls.listen(16); ls.setblocking(False)
sel.register(ls, selectors.EVENT_READ, None)
pairs = {}
cut = [False]
def on_usr1(*a): cut[0] = True
signal.signal(signal.SIGUSR1, on_usr1)
def drop(s):
    p = pairs.pop(s, None)
    for x in (s, p):
        if x is None: continue
        try: sel.unregister(x)
        except Exception: pass
        try:
            x.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            x.close()
        except Exception: pass
        pairs.pop(x, None)
while True:
    try: ev = sel.select(0.05)
    except InterruptedError: ev = []
    if cut[0]:
        cut[0] = False
        for s in list(pairs): drop(s)
    for key, _ in ev:
        s = key.fileobj
        if s is ls:
            c, _ = ls.accept(); d = socket.create_connection(("127.0.0.1", dport))
            pairs[c] = d; pairs[d] = c
            sel.register(c, selectors.EVENT_READ, None); sel.register(d, selectors.EVENT_READ, None)
            continue
        if s not in pairs: continue
        try: b = s.recv(65536)
        except OSError: b = b""
        if not b: drop(s); continue
        try: pairs[s].sendall(b)
        except OSError: drop(s)
EOF

port=$(free_port)
pport=$(free_port)
state=$tmp/state
log=$tmp/pierd.log
cfg=$tmp/admin
"$pierd" --state-dir "$state" --listen "127.0.0.1:$port" --log-level debug \
	>>"$log" 2>&1 &
pid=$!
wait_for 5 grep -qs ' ready: ' "$log"
python3 "$tmp/proxy.py" "$pport" "$port" &
proxy_pid=$!
wait_for 5 eval '(exec 3<>"/dev/tcp/127.0.0.1/$pport") 2>/dev/null'
# The key's only address hint is the proxy's: every dial goes through it.
key=$("$pierd" key show --state-dir "$state" --listen "127.0.0.1:$pport" \
	2>/dev/null)
out=$(P join "$key" --name n1 2>&1)
check "pier joins the node through the proxy" has "$out" "joined n1"
docker run -d --name "$ctr" --label pier.test=1 --label "pier.test.case=$tag" \
	pier-test/busybox:latest sleep 100000 >/dev/null

# 1. A shell: type a command, read its output.
tstart s1 "$pier" shell "n1/$ctr"
twait s1 '/ #' 100
tkeys s1 'echo hello-$((6*7))' Enter
check "pier shell runs a typed command and shows its output" \
	twait s1 '^hello-42$'

# 2. Resize: stty size follows the window.
tkeys s1 'stty size' Enter
check "stty size in the container is the window's size" twait s1 '^30 100$'
tmux -L "$sock" resize-window -t s1 -x 120 -y 40
# The new size reaches the container a moment later: ask until it has.
check "after a resize, stty size changes in the container" \
	wait_for 10 eval 'tkeys s1 "clear; stty size" Enter; twait s1 "^40 120$" 5'
tkeys s1 'echo before-the-cut' Enter
twait s1 '^before-the-cut$'

# 3. Cut the TCP link: the client reconnects and reattaches by itself.
attached() { grep -c "session [0-9a-f]* attached by" "$log"; }
kill -USR1 "$proxy_pid"
wait_for 10 eval '[ "$(attached)" -ge 1 ]'
out=$(tail -5 "$log")
check "a cut link is noticed and the client reattaches by itself" \
	[ "$(attached)" -eq 1 ]
check "after reattaching, the earlier screen is back" \
	twait s1 '^before-the-cut$' 50
tkeys s1 'echo after-the-cut-$((2+3))' Enter
check "the same session goes on after the reattach" \
	twait s1 '^after-the-cut-5$'
sid=$(P sessions --json | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r[0]["id"] if r else "")')
out=$(P sessions)
check "pier sessions lists the session with its target and one viewer" \
	eval 'has "$out" "^NODE  *ID  *TARGET  *COMMAND  *STARTED  *VIEWERS  *IDLE" && has "$out" "^n1  *$sid  *$ctr  *sh .* 1 "'

# 4. Two viewers: a read-only one sees what the first one does.
tstart s2 "$pier" attach --read-only "n1/$sid"
wait_for 10 eval '[ "$(attached)" -ge 2 ]'
tkeys s1 'echo two-viewers-$((3*3))' Enter
check "the first viewer sees its output" twait s1 '^two-viewers-9$'
check "a second, read-only viewer sees the same output" \
	twait s2 '^two-viewers-9$'
tkeys s2 'echo typed-by-a-watcher' Enter
# What s1 types next reaches the shell after anything s2 sent would have.
tkeys s1 'echo after-the-watcher' Enter
twait s1 '^after-the-watcher$'
check "input from a read-only viewer is dropped" \
	eval '! has "$out" "typed-by-a-watcher"'

# 5. Detach with ~. and attach again.
tkeys s1 Enter '~.'
check "~. detaches and says how to come back" \
	twait s1 "detached from session $sid; pier attach n1/$sid"
check "the client exits 0 after a detach" twait s1 '^PIER_RC=0$'
tmux -L "$sock" kill-session -t s1
tstart s3 "$pier" attach "n1/$sid"
check "pier attach shows the screen as it was" twait s3 '^two-viewers-9$'
tkeys s3 'exit 7' Enter
check "exiting the shell ends every viewer with its exit code" \
	eval 'twait s3 "^PIER_RC=7$" && twait s2 "^PIER_RC=7$" && has "$(tscreen s3)" "exited with code 7"'
out=$(P sessions)
check "the session is gone once its shell exited" \
	eval '! has "$out" "$sid"'

# 6. pier exec: stdout and stderr apart, the exit code.
P exec "n1/$ctr" sh -c 'echo to-out; echo to-err >&2; exit 3' \
	>"$tmp/out" 2>"$tmp/err"; rc=$?
out="rc=$rc out=$(cat "$tmp/out") err=$(cat "$tmp/err")"
check "pier exec keeps stdout and stderr apart and exits with the code" \
	eval '[ $rc -eq 3 ] && [ "$(cat $tmp/out)" = to-out ] && [ "$(cat $tmp/err)" = to-err ]'
P exec -u nobody -w /tmp -e FOO=bar "n1/$ctr" sh -c 'echo $(id -un) $PWD $FOO' >"$tmp/out" 2>&1; rc=$?
out="rc=$rc $(cat "$tmp/out")"
check "pier exec -u -w -e set the user, directory and environment" \
	eval '[ $rc -eq 0 ] && [ "$(cat $tmp/out)" = "nobody /tmp bar" ]'
P exec "n1/$ctr" nonexistent-command >"$tmp/out" 2>&1; rc=$?
out="rc=$rc $(cat "$tmp/out")"
check "pier exec of a missing command fails as docker exec does (126/127)" \
	eval '[ $rc -eq 126 ] || [ $rc -eq 127 ]'
P exec "n1/$ctr" seq 1 200000 >"$tmp/out" 2>&1; rc=$?
out="rc=$rc lines=$(wc -l <"$tmp/out")"
check "pier exec passes a long output whole" \
	eval '[ $rc -eq 0 ] && [ $(wc -l <$tmp/out) -eq 200000 ] && [ "$(tail -1 $tmp/out)" = 200000 ]'

# 7. pier exec -it: interactive under a PTY, its exit code.
tstart e1 "$pier" exec -it "n1/$ctr" sh -c "'read x; echo got-\$x; exit 5'"
wait_for 10 eval 'docker top "$ctr" -o pid,args | grep -q "read x"'
tkeys e1 'abc' Enter
check "pier exec -it is interactive and exits with the command's code" \
	eval 'twait e1 "^got-abc" && twait e1 "^PIER_RC=5$"'

# 8. The Docker CLI terminal.
tstart d1 "$pier" docker n1 -- ps --filter "label=pier.test.case=$tag" --format "'{{.Names}}'"
check "pier docker NODE -- ps runs the host's docker CLI" \
	eval 'twait d1 "^$ctr" && twait d1 "^PIER_RC=0$"'
tstart d2 "$pier" docker n1 -- run --rm -it --label pier.test=1 --label "pier.test.case=$tag" pier-test/busybox:latest sh
twait d2 '/ #' 100
tkeys d2 'echo in-docker-run-$((4*4)); exit 4' Enter
check "pier docker -- run --rm -it IMAGE sh is interactive" \
	eval 'twait d2 "^in-docker-run-16$" && twait d2 "^PIER_RC=4$"'

# 9. Faults: a stopped container, a container without a shell.
docker create --name "$ctr-stopped" --label pier.test=1 --label "pier.test.case=$tag" \
	pier-test/busybox:latest sleep 1000 >/dev/null
out=$(ontty env PIER_CONFIG_DIR="$cfg" "$pier" shell "n1/$ctr-stopped"); rc=$?
check "a shell in a stopped container is refused clearly" \
	eval '[ $rc -eq 1 ] && has "$out" "is not running" && has "$out" "start it first"'
mkdir -p "$tmp/noshell"
cp "$(command -v busybox)" "$tmp/noshell/busybox"
tar -C "$tmp/noshell" -cf - busybox | docker import - "pier-test/noshell:$tag" >/dev/null
docker run -d --name "$ctr-noshell" --label pier.test=1 --label "pier.test.case=$tag" \
	"pier-test/noshell:$tag" /busybox sleep 1000 >/dev/null
out=$(ontty env PIER_CONFIG_DIR="$cfg" "$pier" shell "n1/$ctr-noshell"); rc=$?
check "a container without a shell: an error naming what was tried" \
	eval '[ $rc -eq 1 ] && has "$out" "has no shell: tried bash and sh"'
out=$(ontty env PIER_CONFIG_DIR="$cfg" "$pier" shell \
	"n1/no-such-container-$tag"); rc=$?
check "a container that does not exist: not found" \
	eval '[ $rc -eq 1 ] && has "$out" "no-such-container-$tag"'

# 10. A container removed while a session runs.
docker run -d --name "$ctr-gone" --label pier.test=1 --label "pier.test.case=$tag" \
	pier-test/busybox:latest sleep 100000 >/dev/null
tstart g1 "$pier" shell "n1/$ctr-gone"
twait g1 '/ #' 100
docker rm -f "$ctr-gone" >/dev/null
check "a container removed under a session ends it with an error" \
	eval 'twait g1 "^PIER_RC=[1-9]" 100'
out=$(P sessions 2>&1); rc=$?
check "the node goes on serving after it" \
	eval '[ $rc -eq 0 ] && ! has "$out" "$ctr-gone"'

# 11. A client killed mid-session: the session stays, kill-session ends
# it and its process.
tstart k1 "$pier" shell "n1/$ctr"
twait k1 '/ #' 100
tkeys k1 'sleep 4242' Enter
wait_for 10 eval 'docker top "$ctr" -o pid,args | grep -Eq "^ *[0-9]+ +sleep 4242"'
kpid=$(pgrep -f "pier shell n1/$ctr" | head -1)
kill -9 "$kpid"
wait_for 10 eval 'P sessions --json | python3 -c "import json,sys
sys.exit(not any(s[\"viewers\"] == 0 for s in json.load(sys.stdin)))"'
sid=$(P sessions --json | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r[0]["id"] if r else "")')
out=$(P sessions)
check "a killed client leaves its session running with no viewer" \
	eval '[ -n "$sid" ] && has "$out" "$sid .* 0 "'
out=$(docker top "$ctr")
check "the killed client's shell was running in the container" \
	has "$out" "sleep 4242"
P kill-session "n1/$sid" >"$tmp/out" 2>&1; rc=$?
out=$(cat "$tmp/out")
check "pier kill-session ends it" eval '[ $rc -eq 0 ] && has "$out" "$sid"'
wait_for 3 eval '! docker top "$ctr" | grep -q "sleep 4242"'
out=$(docker top "$ctr")
check "no shell or child is left running in the container" \
	eval '! has "$out" "sleep 4242" && [ $(wc -l <<<"$out") -eq 2 ]'
out=$(P kill-session "n1/$sid" 2>&1); rc=$?
check "killing it again: no such session" \
	eval '[ $rc -eq 1 ] && has "$out" "no session $sid"'

# 12. A viewer pasting 20 MB: held by flow control, all of it arrives.
# (The program puts its PTY in raw mode first: a PTY in canonical mode
# with echo stalls on a paste this big whatever the client, so the input
# waits until it says so. The paste comes from a terminal: exec -it
# refuses any other stdin, as docker does.)
head -c 20000000 /dev/zero | tr '\0' 'x' >"$tmp/paste"
PIER_CONFIG_DIR=$cfg timeout 120 python3 \
	"${PIER_SOURCE_ROOT:-$(dirname "$0")/..}/tests/fixtures/pty-feed.py" \
	"$tmp/paste" ready-to-read "$pier" exec -it "n1/$ctr" sh -c \
	'stty raw -echo; echo ready-to-read; head -c 20000000 | wc -c; exit 9' \
	>"$tmp/out" 2>&1; rc=$?
out="rc=$rc $(tail -c 300 "$tmp/out")"
check "20 MB of input reach the process whole and the exit code comes back" \
	eval '[ $rc -eq 9 ] && has "$(cat $tmp/out)" 20000000'
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
out="pierd VmRSS ${rss} kB"
check "pierd is alive after it" kill -0 "$pid"

# 13. Roles: a viewer key may not open a shell.
vkey=$(P key create --name shell-viewer --role viewer 2>/dev/null)
vcfg=$tmp/viewer
PIER_CONFIG_DIR=$vcfg "$pier" join "$vkey" --name n1 >/dev/null 2>&1
out=$(ontty env PIER_CONFIG_DIR="$vcfg" "$pier" shell "n1/$ctr"); rc=$?
check "a viewer key is refused a shell, naming the role needed" \
	eval '[ $rc -eq 1 ] && has "$out" "operator"'
out=$(PIER_CONFIG_DIR=$vcfg "$pier" docker n1 -- ps </dev/null 2>&1); rc=$?
check "a viewer key is refused the docker CLI terminal" \
	eval '[ $rc -eq 1 ] && has "$out" "needs the .* role; this key is viewer"'
out=$(P audit --tail 50 2>&1)
check "session starts and attaches are in the audit log" \
	eval 'has "$out" "session.open" && has "$out" "session.attach"'

# pierd stops cleanly with nothing left.
kill -TERM "$pid"
wait "$pid"; rc=$?
pid=
out=$(tail -20 "$log")
check "pierd stops cleanly (exit 0), no sanitizer report" \
	eval '[ $rc -eq 0 ] && ! grep -q "Sanitizer" "$log"'

echo "1..$n"
exit $failed
