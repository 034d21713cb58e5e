# Sourced by the end-to-end shell tests (tests/test-e2e-*.sh): what each
# of them needs before its first case, in one place so that they agree.
# e2e_init finds the programs under $PIER_BUILD_ROOT, makes the temp dir
# and sets the trap that stops every pierd started here and removes it;
# then TAP output (ok, not_ok, skip, check, e2e_done), small helpers
# (has, wait_for, free_port, jget, di; in_ctr, up_within, gone_within and
# sid_of for a script's container $ctr) and start_node, which runs a pierd on
# 127.0.0.1 and waits for its "ready" line. A script with more to clean
# up (containers, images, volumes) defines cleanup_more; it runs after
# the nodes are stopped and before the temp dir goes.

# e2e_init NAME: programs, $tmp (/tmp/pier-e2e-NAME.XXXXXX), counters, trap.
e2e_init() {
	build=${PIER_BUILD_ROOT:?PIER_BUILD_ROOT is not set}
	pierd=$build/node/pierd
	pier=$build/tools/pier/pier
	dockerhost=${DOCKER_HOST:-unix:///var/run/docker.sock}
	tmp=$(mktemp -d "/tmp/pier-e2e-$1.XXXXXX")
	# No public DHT routers from tests: pierd and pier run their DHT
	# nodes with no bootstrap unless a test names one.
	export PIER_DHT_BOOTSTRAP=${PIER_DHT_BOOTSTRAP-}
	pids=()
	n=0
	failed=0
	trap e2e_cleanup EXIT
}

# e2e_cleanup: the EXIT trap; every pid on pids (and $pid, if a script
# keeps one node there), then cleanup_more if defined, then $tmp.
e2e_cleanup() {
	local p
	for p in "${pids[@]}" ${pid:+"$pid"}; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if declare -F cleanup_more >/dev/null; then
		cleanup_more
	fi
	rm -rf "$tmp"
}

# e2e_need_docker: a TAP skip and exit 0 when there is no engine to talk to.
e2e_need_docker() {
	if ! docker version >/dev/null 2>&1; then
		echo "1..0 # SKIP no docker CLI or engine here"
		exit 0
	fi
}

# e2e_need_tmux: a TAP skip and exit 0 when tmux is missing.
e2e_need_tmux() {
	if ! command -v tmux >/dev/null; then
		echo "1..0 # SKIP tmux is not installed (tools/setup-deps --test)"
		exit 0
	fi
}

ok() { n=$((n + 1)); echo "ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# not_ok NAME [DETAIL...]: every line of the detail as a TAP comment.
not_ok() {
	n=$((n + 1)); failed=1
	echo "not ok $n - $1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/# /'
	return 0
}
# check NAME CONDITION...: runs the condition, reports, shows $out on failure.
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name" "${out:-}"; fi
}
# e2e_done: the TAP plan, and the exit status (1 if any case failed).
e2e_done() {
	echo "1..$n"
	exit $failed
}

has() { grep -q -- "$2" <<<"$1"; }
# since T0: milliseconds from T0 (${EPOCHREALTIME/./}, microseconds) until now.
since() { echo $(( (${EPOCHREALTIME/./} - $1) / 1000 )); }
# wait_for SECONDS CMD...: runs CMD every 0.05 s until it succeeds (0);
# after SECONDS (whole) names what it waited for on stderr and returns 1.
# Tests wait with it for the condition they need, never a fixed time.
# (CMD may set the caller's variables: its locals have unlikely names.)
wait_for() {
	local _wf_s=$1 _wf_end=$((${EPOCHREALTIME/./} + $1 * 1000000))
	shift
	until "$@"; do
		if [ "${EPOCHREALTIME/./}" -ge "$_wf_end" ]; then
			echo "wait_for: still false after $_wf_s s: $*" >&2
			return 1
		fi
		sleep 0.05
	done
}
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# jget FILE EXPR: a value from a JSON file, by a Python expression on j.
jget() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
# di FORMAT CONTAINER: docker inspect -f, errors included.
di() { docker inspect -f "$1" "$2" 2>&1; }
# P ARGS...: pier with the client configuration in $cfg.
P() { PIER_CONFIG_DIR=$cfg "$pier" "$@"; }
# ontty CMD...: CMD on a terminal of its own (stdin, stdout and stderr a
# new PTY, as typed at one; shell and exec -it refuse anything else);
# prints its output and returns its status.
ontty() {
	python3 "${PIER_SOURCE_ROOT:-$(dirname "$0")/..}/tests/fixtures/pty-feed.py" \
		/dev/null '' "$@"
}

# Terminals: pier under real PTYs, one tmux session per client on the
# tmux server $sock (the script kills it in cleanup_more).
# tstart NAME CMD...: runs CMD, then prints PIER_RC=its exit code (and
# sleeps, so that the window stays to be read).
tstart() {
	local name=$1; shift
	tmux -L "$sock" new-session -d -s "$name" -x 100 -y 30 \
		"PIER_CONFIG_DIR=$cfg $*; echo PIER_RC=\$?; sleep 600"
}
# tkeys NAME KEYS...: types into NAME (tmux send-keys).
tkeys() { tmux -L "$sock" send-keys -t "$1" "${@:2}"; }
# tscreen NAME: the screen as text, wrapped lines joined when
# $tscreen_join is -J.
tscreen() { tmux -L "$sock" capture-pane -p ${tscreen_join:-} -t "$1"; }
# twait NAME PATTERN [TENTHS]: waits until the screen matches (10 s).
twait() {
	local i
	for i in $(seq "${3:-100}"); do
		out=$(tscreen "$1")
		grep -q -- "$2" <<<"$out" && return 0
		sleep 0.1
	done
	return 1
}
# tprompt NAME: waits until the last line on the screen is busybox's
# prompt ("/ #"), that is until the shell waits for input (10 s).
tprompt() {
	wait_for 10 eval "[ \"\$(tscreen $1 | sed '/^\$/d' | tail -n 1)\" = '/ #' ]"
}

# Containers and sessions: $ctr is the script's container.
# in_ctr PATTERN: whether a process in the container matches.
in_ctr() { docker top "$ctr" -o pid,args 2>/dev/null | grep -q -- "$1"; }
# up_within TENTHS PATTERN: waits until a process matches.
up_within() { wait_for $((($1 + 9) / 10)) in_ctr "$2"; }
# gone_within TENTHS PATTERN: waits until no process matches.
gone_within() { wait_for $((($1 + 9) / 10)) not_in_ctr "$2"; }
not_in_ctr() { ! in_ctr "$1"; }
# sid_of PATTERN: the id of the session whose command matches.
sid_of() {
	P sessions --json | python3 -c 'import json,sys,re
for s in json.load(sys.stdin):
    if re.search(sys.argv[1], s["cmd"]): print(s["id"]); break' "$1"
}

# e2e_pierd STATE PORT DOCKERHOST LOG [OPTION...]: pierd on 127.0.0.1:PORT
# in the background (its pid added to pids), ready within 5 s (a new
# "ready" line: LOG may hold an earlier run's).
e2e_pierd() {
	local st=$1 pt=$2 dh=$3 lg=$4 seen
	shift 4
	: >>"$lg"
	seen=$(grep -c ' ready: ' "$lg")
	"$pierd" --state-dir "$st" --listen "127.0.0.1:$pt" \
		--docker-host "$dh" "$@" >>"$lg" 2>&1 &
	pids+=($!)
	wait_for 5 eval '[ "$(grep -c " ready: " "$lg")" -gt "${seen:-0}" ]'
}

# start_node STATE PORT DOCKERHOST LOG [OPTION...]: e2e_pierd with debug
# logging.
start_node() {
	local st=$1 pt=$2 dh=$3 lg=$4
	shift 4
	e2e_pierd "$st" "$pt" "$dh" "$lg" --log-level debug "$@"
}

# e2e_joined_node [PIERD OPTION...]: a node on a free $port with $state
# and $log, joined by the client in $cfg as n1 (a case), and the script's
# container $ctr (labelled with $tag) running the test image.
e2e_joined_node() {
	port=$(free_port)
	state=$tmp/state
	log=$tmp/pierd.log
	start_node "$state" "$port" "$dockerhost" "$log" "$@"
	key=$("$pierd" key show --state-dir "$state" \
		--listen "127.0.0.1:$port" 2>/dev/null)
	out=$(P join "$key" --name n1 2>&1)
	check "pier joins the node" has "$out" "joined n1"
	docker run -d --name "$ctr" --label pier.test=1 \
		--label "pier.test.case=$tag" pier-test/busybox:latest \
		sleep 100000 >/dev/null
}

# e2e_stop_nodes: SIGTERM to each pid on pids; each must exit 0.
e2e_stop_nodes() {
	local p rc
	for p in "${pids[@]}"; do
		kill -TERM "$p"
		wait "$p"
		rc=$?
		out="exit $rc"
		check "pierd stops cleanly" [ $rc -eq 0 ]
	done
	pids=()
}
