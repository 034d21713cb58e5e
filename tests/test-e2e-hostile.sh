#!/usr/bin/env bash
# End to end: hostile terminal output (docs/SECURITY.md). A pierd on
# 127.0.0.1 and the real engine, `pier` under real PTYs by tmux. In one
# session a container prints the input of issue 8 in two halves with a
# window resize between them, then a reattach takes a snapshot: libvterm
# 0.1.4 wrote past its CSI argument array there and the node died. A
# session whose first output is REP (ESC [ b), or REP after a combining
# mark, hung the node's event loop. Through all of it the node stays up
# and a second session goes on answering. Then the screen worker (where
# libvterm runs, as nobody) is killed as a fault in libvterm would kill
# it: the shells go on, their viewers are told once, a reattach works,
# and a new session gets a screen from a fresh worker. Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init hostile
e2e_need_docker
e2e_need_tmux
tag=e2e-hostile-$$
ctr=pier-$tag
sock=pier-$tag		# the tmux server
cfg=$tmp/admin
seeds=${PIER_SOURCE_ROOT:-$(dirname "$0")/..}/tools/fuzz/seeds/vterm

cleanup_more() {
	tmux -L "$sock" kill-server 2>/dev/null
	docker ps -aq --filter "label=pier.test.case=$tag" |
		xargs -r docker rm -f >/dev/null 2>&1
}

# alive: whether the node still runs and answers.
alive() { kill -0 "$node" 2>/dev/null && P sessions >/dev/null 2>&1; }
# bystander N: the other session still answers (echo by-N*N).
bystander() {
	tkeys by "echo by-\$(($1*$1))" Enter
	twait by "^by-$(($1 * $1))\$" 100
}

e2e_joined_node
node=${pids[0]}
# The issue's input in two halves, as the fuzzer fed it around a resize.
head -c 127 "$seeds/issue8-colons-osc-resize" >"$tmp/h1"
tail -c +128 "$seeds/issue8-colons-osc-resize" >"$tmp/h2"
printf '\033[b' >"$tmp/rep-first"
printf 'x\r\n\314\201\033[3b\302\205\033[2b' >"$tmp/rep-marks"
for f in h1 h2 rep-first rep-marks; do
	docker cp "$tmp/$f" "$ctr:/$f" >/dev/null
done

tstart by "$pier" exec -it "n1/$ctr" sh
twait by '/ #' 100
check "a bystander session answers" bystander 5

# 1. Issue 8: the first half, a resize, the second half, a reattach.
tstart h "$pier" exec -it "n1/$ctr" sh
twait h '/ #' 100
sleep 0.5	# busybox's prompt asks for the cursor position first
# The resize comes while the string is open and nothing follows it (the
# prompt would end it: busybox asks for the cursor position), so while
# the sleep after the cat runs.
tkeys h 'cat /h1; sleep 6' Enter
out=$(docker top "$ctr" 2>&1)
check "the first half is out, the shell sleeps" up_within 100 'sleep 6'
tmux -L "$sock" resize-window -t h -x 111 -y 28
gone_within 100 'sleep 6'
# tmux's own parser may still be in the string: type blind.
tkeys h "cat /h2; printf '\\030\\033[0m\\n'; echo printed-\$((6*7))" Enter
check "the session prints on after the input of issue 8 and a resize" \
	twait h '^printed-42$' 100
check "the node is alive" alive
tkeys h Enter '~.'
twait h '^PIER_RC=0$' 50
sid=$(sid_of '^sh$')
tstart h2 "$pier" attach "n1/$sid"
check "a reattach (a snapshot) shows the screen" twait h2 'printed-42' 100
tkeys h2 "echo again-\$((7*7))" Enter
check "and the session answers" twait h2 '^again-49$' 100
check "the node is alive after the snapshot" alive
check "the bystander session goes on" bystander 6

# 2. REP with no glyph before it, and after marks of no width.
tstart r1 "$pier" exec -it "n1/$ctr" sh -c \
	"'cat /rep-first; echo rep-first-done; sleep 600'"
check "a session whose first output is ESC [ b prints on" \
	twait r1 'rep-first-done' 100
tstart r2 "$pier" exec -it "n1/$ctr" sh -c \
	"'cat /rep-marks; echo; echo rep-marks-done; sleep 600'"
check "and one with REP after a combining mark and U+0085" \
	twait r2 'rep-marks-done' 100
check "the node is alive after REP" alive
check "the bystander session goes on after REP" bystander 7

# 3. The screen worker dies, as a fault in libvterm would make it.
# worker: the pid of the node's screen worker, if one runs.
worker() {
	local p
	for p in $(ps -o pid= --ppid "$node"); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null |
			grep -q -- '--screen-worker' && echo "$p"
	done
}
w=$(worker)
check "a screen worker runs" [ -n "$w" ]
out=$(ps -o user= -p "$w" 2>&1)
check "as nobody" [ "$out" = nobody ]
out=$(grep -E '^(Seccomp|NoNewPrivs|CapEff):' "/proc/$w/status" 2>&1)
check "under seccomp, no_new_privs, no capabilities" \
	[ "$(tr -d ' \t\n' <<<"$out")" = \
	CapEff:0000000000000000NoNewPrivs:1Seccomp:2 ]
kill -KILL "$w"
lost='screen state of this session was lost'
check "the viewer is told the screen state was lost" twait by "$lost" 100
check "the shell goes on" bystander 8
check "the node is alive after the worker died" alive
check "the node logs it" grep -q "screen worker $w is gone" "$log"
out=$(tscreen by | grep -c "$lost")
check "the viewer is told once" [ "$out" = 1 ]
# A reattach of a session whose screen was lost: the line, no repaint.
tkeys h2 Enter '~.'
twait h2 '^PIER_RC=0$' 50
tstart h3 "$pier" attach "n1/$sid"
check "a reattach after the loss is told" twait h3 "$lost" 100
tkeys h3 "echo third-\$((8*8))" Enter
check "and the session answers" twait h3 '^third-64$' 100
# A new session: a fresh worker keeps its screen.
tstart nw "$pier" exec -it "n1/$ctr" sh -c "'echo fresh-\$((9*9)); sleep 600'"
twait nw 'fresh-81' 100
tkeys nw Enter '~.'
twait nw '^PIER_RC=0$' 50
w2=$(worker)
check "a fresh worker runs" [ -n "$w2" -a "$w2" != "$w" ]
sid2=$(sid_of 'fresh')
tstart nw2 "$pier" attach "n1/$sid2"
check "a reattach to a new session repaints from it" twait nw2 '^fresh-81$' 100
out=$(tscreen nw2 | grep -c "$lost")
check "with no loss to tell" [ "$out" = 0 ]
check "the bystander session goes on at the end" bystander 9

e2e_stop_nodes
e2e_done
