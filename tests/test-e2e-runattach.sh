#!/usr/bin/env bash
# End to end against the real engine: `pier run -it`, `-t` and `-i`
# attach to the new container as docker run does. Under a real PTY
# (tmux): a typed command and its output, the window's size inside, the
# container's exit code as pier's, --rm removing it after; -t alone
# leaves stdin out; ~. detaches and the container goes on. Over pipes
# (-i alone): stdin in and its end the container's, stdout and stderr
# apart, the exit code kept. -it with a stdin that is no terminal is
# refused before anything is made; -dit stays detached. `--on NODE|any`
# is the node as an option. On a host without the docker CLI the error
# says so and the container that never started is not left unsaid.
# Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init runattach
e2e_need_docker
e2e_need_tmux
image=${PIER_TEST_IMAGE:-pier-test/busybox:latest}
tag=pe2era$$
sock=pier-$tag

cleanup_more() {
	tmux -L "$sock" kill-server 2>/dev/null
	docker ps -aq --filter "label=pier.test.case=$tag" |
		xargs -r docker rm -f >/dev/null 2>&1
}

# ours: how many of this script's containers exist.
ours() { docker ps -aq --filter "label=pier.test.case=$tag" | wc -l; }
# gone NAME: no container NAME any more.
gone() { ! docker inspect "$1" >/dev/null 2>&1; }

cfg=$tmp/client
port=$(free_port)
check "pierd starts" start_node "$tmp/s" "$port" "$dockerhost" "$tmp/l"
P join "$("$pierd" key show --state-dir "$tmp/s" 2>/dev/null)" \
	--name n1 >/dev/null 2>&1
lbl=(--network none --label pier.test=1 --label "pier.test.case=$tag")

# 1. -it --rm: a shell typed at, its size, its exit code, removed after.
tstart t1 "$pier" run -it --rm n1 --name "$tag-it" "${lbl[@]}" "$image" sh
check "run -it: the container's shell prompts" twait t1 '/ #'
tkeys t1 'echo hello-$((6*7))' Enter
check "run -it: a typed command's output" twait t1 '^hello-42'
tkeys t1 'stty size' Enter
check "run -it: stty size inside is the window's (30 100)" \
	twait t1 '^30 100'
check "run -it: the container has a TTY and open stdin" \
	[ "$(di '{{.Config.Tty}} {{.Config.OpenStdin}}' "$tag-it")" = \
	"true true" ]
tkeys t1 'exit 3' Enter
check "run -it: the container's exit code is pier's (3)" \
	twait t1 '^PIER_RC=3$'
out=$(tscreen t1)
check "run -it: no id and no session line printed" \
	eval '! grep -q "session exited\|^[0-9a-f]\{64\}$" <<<"$out"'
check "run -it --rm: the container is removed after" wait_for 10 gone "$tag-it"

# 2. -t alone: output on the terminal, stdin left out.
tstart t2 "$pier" run -t --rm n1 "${lbl[@]}" "$image" \
	sh -c "'tty; test -t 0 && echo in-is-tty; exit 4'"
check "run -t: the output is on a terminal" twait t2 '^/dev/pts/'
check "run -t: exit code 4" twait t2 '^PIER_RC=4$'

# 3. -it then ~.: detached, the container goes on; pier attach returns.
tstart t3 "$pier" run -it n1 --name "$tag-det" "${lbl[@]}" "$image" sh
twait t3 '/ #'
tkeys t3 Enter '~.'
check "run -it: ~. detaches" twait t3 'detached from session'
check "run -it: ~. leaves pier with 0" twait t3 '^PIER_RC=0$'
check "run -it: the container runs on after a detach" \
	[ "$(di '{{.State.Running}}' "$tag-det")" = true ]
sid=$(sid_of "start -ai")
tstart t4 "$pier" attach "n1/$sid"
twait t4 '/ #'
tkeys t4 'echo back-$((2*21))' Enter
check "pier attach returns to the run's terminal" twait t4 '^back-42'
tkeys t4 'exit 0' Enter
check "the run's session ends with the container" twait t4 '^PIER_RC=0$'

# 4. -i alone, over pipes.
out=$(printf 'one\ntwo\n' | P run -i --rm n1 "${lbl[@]}" "$image" \
	sh -c 'cat; echo err >&2; exit 5' 2>"$tmp/err")
rc=$?
check "run -i: stdin reaches the container and its end ends cat" \
	[ "$out" = "$(printf 'one\ntwo')" ]
check "run -i: stderr apart" [ "$(cat "$tmp/err")" = err ]
check "run -i: the exit code is the container's (5)" [ $rc -eq 5 ]
before=$(ours)
out=$(P run -it n1 "${lbl[@]}" "$image" true </dev/null 2>&1)
rc=$?
check "run -it without a terminal: refused as docker does" \
	has "$out" "the input device is not a TTY"
check "run -it without a terminal: exit 1, nothing created" \
	[ $rc -eq 1 ] && [ "$(ours)" = "$before" ]

# 5. -dit: detached, as before.
out=$(P run -dit n1 --name "$tag-dit" "${lbl[@]}" "$image" sh 2>&1)
check "run -dit prints the id and attaches to nothing" \
	[ "${#out}" -eq 64 ]
check "run -dit: running with a TTY and open stdin" \
	[ "$(di '{{.State.Running}} {{.Config.Tty}} {{.Config.OpenStdin}}' \
	"$tag-dit")" = "true true true" ]

# 6. --on: the node as an option, any choosing one and saying why.
out=$(P run --on any --name "$tag-on" "${lbl[@]}" "$image" sleep 1000 \
	2>"$tmp/why")
why=$(cat "$tmp/why")
check "run --on any: created, its id printed" [ "${#out}" -eq 64 ]
out=$why
check "run --on any: the choice and why on stderr" \
	has "$why" "on n1: the most free memory .* CPUs idle, of 1 node$"
check "run --on any: IMAGE and CMD after the options" \
	[ "$(di '{{json .Config.Cmd}}' "$tag-on")" = '["sleep","1000"]' ]
P run --on n1 --name "$tag-on2" "${lbl[@]}" "$image" echo -l >/dev/null 2>&1
out=$(di '{{json .Config.Cmd}}' "$tag-on2")
check "run --on n1: a -l after IMAGE is the command's" \
	[ "$out" = '["echo","-l"]' ]
out=$(P run n1 --on any "$image" true 2>&1)
rc=$?
check "run NODE --on: refused, the node given twice" \
	eval '[ $rc -eq 2 ] && has "$out" "give the node once"'

# 7. A host without the docker CLI: the error says so, and the container
# that never started is removed with --rm, else named.
mkdir -p "$tmp/nobin"
port2=$(free_port)
: >"$tmp/n2.log"
env PATH="$tmp/nobin" "$pierd" --state-dir "$tmp/s2" --listen \
	"127.0.0.1:$port2" --docker-host "$dockerhost" >>"$tmp/n2.log" 2>&1 &
pids+=($!)
wait_for 5 eval 'grep -q " ready: " "$tmp/n2.log"'
P join "$("$pierd" key show --state-dir "$tmp/s2" --listen \
	"127.0.0.1:$port2" 2>/dev/null)" --name n2 >/dev/null 2>&1
before=$(ours)
out=$(printf x | P run -i --rm n2 "${lbl[@]}" "$image" cat 2>&1)
rc=$?
check "run -i, no docker CLI on the node: the error says so" \
	eval '[ $rc -eq 1 ] && has "$out" "no docker CLI"'
check "run -i --rm, no docker CLI: the never started container removed" \
	eval 'has "$out" "removed .*never started" && [ "$(ours)" = "$before" ]'
out=$(printf x | P run -i n2 --name "$tag-left" "${lbl[@]}" "$image" cat \
	2>&1)
check "run -i, no docker CLI: without --rm the container is named" \
	eval 'has "$out" "was created but never started" &&
	[ "$(di "{{.State.Status}}" "$tag-left")" = created ]'

e2e_done
