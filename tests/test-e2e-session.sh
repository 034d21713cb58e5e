#!/usr/bin/env bash
# End to end: the life of terminal sessions around their clients. A
# pierd started with --session-idle 6s on 127.0.0.1 and the real engine;
# `pier` driven under real PTYs by tmux. A detached session ends after
# the idle time, with its process; one with a viewer stays past it. The
# escape character: --escape '^]' and '%' detach with their own key and
# leave "~." to the shell, -e none passes everything, a bad one is a
# usage error. A client killed with SIGKILL: a plain `pier exec` takes
# its command (and its children, and one that ignores SIGTERM) with it,
# which `docker exec` does not; a `pier exec -it` session stays for
# pier attach. pierd's flag is checked too. Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init session
e2e_need_docker
e2e_need_tmux
tag=e2e-session-$$
ctr=pier-$tag
sock=pier-$tag		# the tmux server
cfg=$tmp/admin

cleanup_more() {
	tmux -L "$sock" kill-server 2>/dev/null
	docker ps -aq --filter "label=pier.test.case=$tag" |
		xargs -r docker rm -f >/dev/null 2>&1
}

now_ms() { date +%s%3N; }

# 0. pierd's flag.
out=$("$pierd" --help 2>&1)
check "pierd --help documents --session-idle" \
	eval 'has "$out" "--session-idle DURATION" && has "$out" "default 1h"'
for bad in 10 1min 500ms 31d -5s 1h30; do
	out=$("$pierd" --state-dir "$tmp/nostate" --session-idle "$bad" 2>&1)
	rc=$?
	if [ $rc -ne 2 ] || ! has "$out" "--session-idle \"$bad\": expected a duration"; then
		break
	fi
done
check "pierd refuses a bad --session-idle (10, 1min, 500ms, 31d, ...)" \
	eval '[ $rc -eq 2 ] && has "$out" "such as 90s, 10m or 1h30m"'

e2e_joined_node --session-idle 6s

# 1. The idle time: a detached session ends after 6 s, with its process.
tstart i1 "$pier" exec -it "n1/$ctr" sh -c "'echo idle-ready; sleep 4251'"
twait i1 '^idle-ready' 100
tkeys i1 Enter '~.'
twait i1 '^PIER_RC=0$' 50
t0=$(now_ms)
sid=$(sid_of 'sleep 4251')
out="sid=$sid $(P sessions 2>&1)"
check "a detached session is still listed, with no viewer" \
	eval '[ -n "$sid" ] && has "$out" "$sid .* 0 "'
sleep 1		# kept: a second of idling the session must outlive
out=$(P sessions 2>&1)
t1=$(now_ms)
check "it is still there before its idle time" \
	eval '[ $((t1 - t0)) -lt 5000 ] && has "$out" "$sid"'
while [ $(($(now_ms) - t0)) -lt 12000 ]; do
	out=$(P sessions 2>&1)
	has "$out" "$sid" || break
	sleep 0.1
done
t1=$(now_ms)
out="after $((t1 - t0)) ms: $out"
check "after the idle time (--session-idle 6s) it is gone, not before" \
	eval '! has "$out" "$sid" && [ $((t1 - t0)) -ge 5000 ]'
out=$(docker top "$ctr" 2>&1)
check "and so is its process" gone_within 30 'sleep 4251'
out=$(grep "session $sid" "$log")
check "pierd logs the idle end" has "$out" "ended after its idle time"

# 2. A session with a viewer stays past the idle time.
tstart v1 "$pier" shell "n1/$ctr"
twait v1 '/ #' 100
sleep 7		# kept: the idle time (6 s) passing with a viewer is the test
tkeys v1 'echo still-here-$((5*5))' Enter
check "a session with a viewer stays past the idle time" \
	twait v1 '^still-here-25$'
tkeys v1 'exit' Enter
twait v1 '^PIER_RC=0$' 50

# 3. The escape character. Escapes are typed after the prompt has come
# back (busybox's sh asks the terminal for the cursor position after each
# prompt, and the answer must not count as typing).
tstart e1 "$pier" shell --escape "'^]'" "n1/$ctr"
twait e1 '/ #' 100
tkeys e1 Enter '~.' Enter
twait e1 '~.: not found$'
tprompt e1
tkeys e1 'echo typed-after-tilde' Enter
check "with --escape '^]', ~. goes to the shell instead of detaching" \
	twait e1 '^typed-after-tilde$'
tprompt e1	# busybox's prompt asks for the cursor position first
tkeys e1 C-] '?'
check "^]? lists the escapes with ^] in them" twait e1 '^ \^]\.   - detach'
tkeys e1 Enter C-] .
check "^]. detaches" twait e1 'detached from session'
check "and pier exits 0" twait e1 '^PIER_RC=0$'
sid=$(P sessions --json | python3 -c 'import json,sys; r=[s for s in json.load(sys.stdin) if s["viewers"]==0]; print(r[0]["id"] if r else "")')
tstart e2 "$pier" attach -e none "n1/$sid"
tprompt e2	# the screen is back: attached
nf=$(tscreen e2 | grep -c '~.: not found$')
tkeys e2 Enter '~.' Enter
wait_for 10 eval '[ "$(tscreen e2 | grep -c "~.: not found$")" -gt "$nf" ]'
tprompt e2
tkeys e2 'echo none-$((6*7))' Enter
check "attach -e none: ~. reaches the shell, no detach" \
	twait e2 '^none-42$'
tkeys e2 'exit 3' Enter
check "and the session's exit code comes back" twait e2 '^PIER_RC=3$'
tstart e3 "$pier" exec -it --escape % "n1/$ctr" sh
tprompt e3
tkeys e3 Enter '%.'
check "exec -it --escape %: %. detaches" \
	eval 'twait e3 "detached from session" && twait e3 "^PIER_RC=0$"'
sid=$(P sessions --json | python3 -c 'import json,sys; r=[s for s in json.load(sys.stdin) if s["viewers"]==0]; print(r[0]["id"] if r else "")')
[ -n "$sid" ] && P kill-session "n1/$sid" >/dev/null 2>&1
tstart e4 "$pier" docker --escape % n1 -- run --rm -it --label pier.test=1 \
	--label "pier.test.case=$tag" pier-test/busybox:latest sh
tprompt e4
tkeys e4 Enter '%.'
check "docker --escape %: %. detaches" \
	eval 'twait e4 "detached from session" && twait e4 "^PIER_RC=0$"'
sid=$(P sessions --json | python3 -c 'import json,sys; r=[s for s in json.load(sys.stdin) if s["viewers"]==0]; print(r[0]["id"] if r else "")')
[ -n "$sid" ] && P kill-session "n1/$sid" >/dev/null 2>&1
out=$(P shell --escape ab "n1/$ctr" 2>&1 </dev/null); rc=$?
check "a bad escape character is a usage error" \
	eval '[ $rc -eq 2 ] && has "$out" "bad escape character \"ab\""'
helped=0
for c in shell exec attach docker; do
	out=$(P "$c" --help 2>&1)
	has "$out" "--escape CHAR  *.*the escape character" &&
		helped=$((helped + 1))
done
check "shell, exec, attach and docker --help document the escape option" \
	[ $helped -eq 4 ]

# 4. A killed client. Plain exec: the command goes with it.
PIER_CONFIG_DIR=$cfg "$pier" exec "n1/$ctr" sh -c 'sleep 4261 & sleep 4262' \
	>/dev/null 2>&1 &
cpid=$!
up_within 100 'sleep 4262'
up_within 20 'sleep 4261'
out=$(docker top "$ctr" 2>&1)
check "a plain pier exec runs its command and a child" \
	eval 'in_ctr "sleep 4261" && in_ctr "sleep 4262"'
kill -9 "$cpid"
wait "$cpid" 2>/dev/null
check "SIGKILL to pier exec ends the command in the container" \
	gone_within 50 'sleep 4262'
out=$(docker top "$ctr" 2>&1)
check "and its child in the background" gone_within 20 'sleep 4261'
PIER_CONFIG_DIR=$cfg "$pier" exec "n1/$ctr" sh -c \
	"trap '' TERM HUP; while :; do sleep 1; done; echo 4263" \
	>/dev/null 2>&1 &
cpid=$!
up_within 100 'echo 4263'
kill -9 "$cpid"
wait "$cpid" 2>/dev/null
out=$(docker top "$ctr" 2>&1)
check "a command that ignores SIGTERM is killed a moment later" \
	gone_within 60 'echo 4263'
out=$(grep -c "SUMMARY: .*Sanitizer" "$log")
check "pierd is alive after it" kill -0 "${pids[0]}"

# ... while a tty session stays for pier attach.
tstart k1 "$pier" exec -it "n1/$ctr" sh -c "'echo k-ready; sleep 4271; echo k-done-\$((2*4))'"
twait k1 '^k-ready' 100
kpid=$(pgrep -f "exec -it n1/$ctr sh -c echo k-ready" | head -1)
kill -9 "$kpid"
wait_for 10 eval 'sid=$(sid_of "sleep 4271"); [ -n "$sid" ] &&
	has "$(P sessions 2>&1)" "$sid .* 0 "'
out="sid=$sid $(P sessions 2>&1)"
check "SIGKILL to pier exec -it leaves its session running, no viewer" \
	eval '[ -n "$sid" ] && has "$out" "$sid .* 0 " && in_ctr "sleep 4271"'
tstart k2 "$pier" attach "n1/$sid"
check "pier attach returns to it with the screen" twait k2 '^k-ready' 100
spid=$(docker top "$ctr" -o pid,args | awk '$2 == "sleep" && $3 == "4271" {print $1}')
kill "$spid"
check "and sees the rest of it, to the exit code" \
	eval 'twait k2 "^k-done-8" && twait k2 "^PIER_RC=0$"'

e2e_stop_nodes
out=$(tail -20 "$log")
check "no sanitizer report in pierd's log" \
	eval '! grep -q "Sanitizer" "$log"'
e2e_done
