#!/usr/bin/env bash
# End to end against the real engine: --format, --filter and -q on ps,
# images, volumes and networks, Pier's output held byte for byte to
# docker's for the same objects (one node, so no NODE column: the
# template prints what it is given), .Node over two names of the node,
# a bad filter key and a bad template refused with what is allowed. All
# it makes carries its pid in a label and is removed.
# Prints TAP. Builds nothing: the programs come from $PIER_BUILD_ROOT.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init format
id=$$
lab=pier.test.fmt=$id

# cleanup_more: what this test made in the engine.
cleanup_more() {
	docker ps -aq --filter "label=$lab" | xargs -r docker rm -f -v \
		>/dev/null 2>&1
	docker volume ls -q --filter "label=$lab" |
		xargs -r docker volume rm -f >/dev/null 2>&1
	docker network ls -q --filter "label=$lab" |
		xargs -r docker network rm >/dev/null 2>&1
	docker rmi "pier-test/fmt-$id:a" >/dev/null 2>&1
}

# exact CMD1 CMD2: CMD1 prints the bytes CMD2 prints just before or just
# after it (times in words turn over between runs; retried).
exact() {
	local a b c
	for _ in 1 2 3 4 5; do
		b=$(eval "$2" 2>&1; echo "rc=$?")
		a=$(eval "$1" 2>&1; echo "rc=$?")
		c=$(eval "$2" 2>&1; echo "rc=$?")
		[ -n "$a" ] && { [ "$a" = "$b" ] || [ "$a" = "$c" ]; } &&
			return 0
		sleep 0.5
	done
	out="pier: $a
docker: $b"
	return 1
}
P() { PIER_CONFIG_DIR=$admin "$pier" "$@"; }

e2e_need_docker
if ! docker image inspect pier-test/busybox:latest >/dev/null 2>&1; then
	echo "1..0 # SKIP no pier-test/busybox image (run tools/docker-engine)"
	exit 0
fi

port=$(free_port)
state=$tmp/state
log=$tmp/pierd.log
start_node "$state" "$port" "$dockerhost" "$log"
admin=$tmp/admin
key=$("$pierd" key show --state-dir "$state" 2>/dev/null)
P join "$key" --name n1 >/dev/null 2>&1

vol=pier-test-fmt-$id
net=pier-test-fmt-$id
docker volume create --label "$lab" --label k=v "$vol" >/dev/null
docker network create --label "$lab" "$net" >/dev/null
docker tag pier-test/busybox:latest "pier-test/fmt-$id:a"
docker run -d --label "$lab" --label "x.y=z" --name "pfmt$id-a" \
	-p 127.0.0.1::80 -v "$vol:/data" --network "$net" \
	pier-test/busybox:latest sh -c 'sleep 600 # "quoted" & long' >/dev/null
docker run -d --label "$lab" --name "pfmt$id-b" pier-test/busybox:latest \
	true >/dev/null
docker wait "pfmt$id-b" >/dev/null

F="--filter label=$lab"
for fmt in '{{.ID}}\t{{.Names}}' '{{json .}}' 'json' '{{json .Names}}' \
    'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Status}}\t{{.Ports}}' \
    '{{.Label "x.y"}}|{{.Label "nope"}}|{{upper .Names}}|{{lower .State}}' \
    'table {{.Names}}\t{{.Labels}}\t{{.Mounts}}\t{{.Networks}}\t{{.LocalVolumes}}' \
    'table {{.CreatedAt}}\t{{.RunningFor}}\t{{.Label "x.y"}}' \
    '{{.Names}} {{.Size}}' '{{if eq .State "running"}}up{{else}}down{{end}} {{join (split .Names "-") "+"}}'; do
	check "ps -a --format '$fmt' as docker's" \
		exact "P ps -a $F --format '$fmt'" "docker ps -a $F --format '$fmt'"
	check "ps -a --no-trunc --format '$fmt' as docker's" \
		exact "P ps -a --no-trunc $F --format '$fmt'" \
		"docker ps -a --no-trunc $F --format '$fmt'"
done
fmt='{{.Names}} {{.Networks}} {{.Mounts}} {{.LocalVolumes}} {{.Labels}}'
check "ps without filters (the node's model) has docker's .Networks and .Mounts" \
	exact "P ps -a --format '$fmt' | grep '^pfmt$id-'" \
	"docker ps -a --format '$fmt' | grep '^pfmt$id-'"
check "ps -f status=exited as docker's" \
	exact "P ps -a $F -f status=exited --format '{{.Names}}'" \
	"docker ps -a $F -f status=exited --format '{{.Names}}'"
check "ps -f name= -f ancestor= as docker's" \
	exact "P ps -a $F -f name=pfmt$id-a -f ancestor=pier-test/busybox --format '{{.Names}}'" \
	"docker ps -a $F -f name=pfmt$id-a -f ancestor=pier-test/busybox --format '{{.Names}}'"
check "ps -q prints NODE/ID of the filtered containers" \
	exact "P ps -aq $F" "docker ps -aq $F | sed 's,^,n1/,'"
out=$(P ps -f bogus=1 2>&1); rc=$?
check "an unknown filter key is refused naming the keys there are" \
	eval '[ $rc -eq 1 ] && has "$out" "unknown filter key bogus; the keys are ancestor, before, .*status, volume"'
out=$(P ps --format '{{.ID}} {{.Nmae}}' 2>&1); rc=$?
check "an unknown field is a usage error naming the fields and the position" \
	eval '[ $rc -eq 2 ] && has "$out" "at position 11: unknown field .Nmae; the fields are .ID, .Image, .Command" && has "$out" ".Node"'
out=$(P ps --format '{{.ID' 2>&1); rc=$?
check "a template syntax error names its position" \
	eval '[ $rc -eq 2 ] && has "$out" "at position 6: unclosed action"'

IF="--filter reference=pier-test/fmt-$id"
for fmt in '{{json .}}' 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}\t{{.CreatedSince}}' \
    '{{.ID}} {{.Digest}} {{.CreatedAt}} {{.VirtualSize}} {{.Containers}}'; do
	check "images --format '$fmt' as docker's" \
		exact "P images $IF --format '$fmt'" "docker images $IF --format '$fmt'"
done
check "images -q -f as docker's" exact "P images n1 -q $IF" "docker images -q $IF"
for fmt in '{{json .}}' 'table {{.Name}}\t{{.Driver}}\t{{.Label "k"}}\t{{.Scope}}\t{{.Mountpoint}}'; do
	check "volumes --format '$fmt' as docker's" \
		exact "P volumes $F --format '$fmt'" "docker volume ls $F --format '$fmt'"
done
check "volumes -q -f as docker's" exact "P volumes n1 -q $F" "docker volume ls -q $F"
for fmt in '{{json .}}' 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}\t{{.Internal}}\t{{.CreatedAt}}'; do
	check "networks --format '$fmt' as docker's" \
		exact "P networks $F --format '$fmt'" "docker network ls $F --format '$fmt'"
done
check "networks -q -f as docker's" exact "P networks n1 -q $F" "docker network ls -q $F"

# inspect, stats and events.
for fmt in '{{.Name}} {{.State.Status}} {{.Config.Image}} {{.HostConfig.Memory}}' \
    '{{json .Config.Labels}}' '{{index .Config.Labels "x.y"}} {{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}' \
    '{{join .Config.Cmd " "}}|{{len .Config.Cmd}}|{{.State.Running}}'; do
	check "inspect --format '$fmt' as docker's" \
		exact "P inspect -f '$fmt' pfmt$id-a" "docker inspect -f '$fmt' pfmt$id-a"
done
out=$(P inspect -f '{{.Node}}/{{.State.Nope}}' pfmt$id-a 2>&1); rc=$?
check "inspect --format: a field the object lacks is named with those it has" \
	eval '[ $rc -eq 1 ] && has "$out" "unknown field .Nope; the fields are .Status, .Running"'
fmt='table {{.Name}}\t{{.ID}}\t{{.Container}}\t{{.PIDs}}'
check "stats --no-stream --format '$fmt' as docker's" \
	exact "P stats --no-stream --format '$fmt' n1/pfmt$id-a" \
	"docker stats --no-stream --format '$fmt' pfmt$id-a"
out=$(P stats --no-stream --format '{{json .}}' n1/pfmt$id-a 2>&1); rc=$?
check "stats --format '{{json .}}' has docker's keys" \
	eval '[ $rc -eq 0 ] && has "$out" "^{\"BlockIO\":\"[^\"]*\",\"CPUPerc\":\"[0-9.]*%\",\"Container\":\"pfmt$id-a\",\"ID\":\"[0-9a-f]\{12\}\",\"MemPerc\":\"[^\"]*\",\"MemUsage\":\"[^\"]* / [^\"]*\",\"Name\":\"pfmt$id-a\",\"NetIO\":\"[^\"]*\",\"PIDs\":\"[0-9]*\"}$"'
t0=$(date +%s)
docker run --label "$lab" --name "pfmt$id-c" pier-test/busybox:latest true >/dev/null
docker rm "pfmt$id-c" >/dev/null
t1=$(($(date +%s) + 1))
fmt='{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.image}}'
b=$(docker events --since "$t0" --until "$t1" -f "container=pfmt$id-c" \
	--format "$fmt")
export PIER_CONFIG_DIR=$admin
a=$(timeout 3 "$pier" events --since "$t0" -f "container=pfmt$id-c" --format "$fmt" </dev/null 2>&1)
unset PIER_CONFIG_DIR
out="pier: $a
docker: $b"
check "events --format as docker's" eval '[ -n "$b" ] && [ "$a" = "$b" ]'
a=$(PIER_CONFIG_DIR=$admin timeout 3 "$pier" events --since "$t0" -f "container=pfmt$id-c" --format '{{json .}}' </dev/null 2>&1)
b=$(docker events --since "$t0" --until "$t1" -f "container=pfmt$id-c" --format '{{json .}}')
out="pier: $a
docker: $b"
check "events --format '{{json .}}' as docker's" eval '[ -n "$b" ] && [ "$a" = "$b" ]'

# Two names for the node: rows from each, told apart by .Node.
P join "$key" --name n2 >/dev/null 2>&1
out=$(P ps -a $F --format '{{.Node}} {{.Names}}' 2>&1); rc=$?
check ".Node names each row's node across the joined nodes" \
	eval '[ $rc -eq 0 ] && has "$out" "^n1 pfmt$id-a$" && has "$out" "^n2 pfmt$id-a$" && [ $(wc -l <<<"$out") -eq 4 ]'
out=$(P images -f "reference=pier-test/fmt-$id" 2>&1); rc=$?
check "images over two nodes: docker's table with NODE first" \
	eval '[ $rc -eq 0 ] && has "$out" "^NODE  *REPOSITORY  *TAG  *IMAGE ID  *CREATED  *SIZE$" &&
	has "$out" "^n1  *pier-test/fmt-$id  *a  " && has "$out" "^n2  *pier-test/fmt-$id  *a  "'
out=$(P volumes -q $F 2>&1); rc=$?
check "volumes -q over two nodes prints NODE/NAME" \
	eval '[ $rc -eq 0 ] && [ "$out" = "n1/$vol
n2/$vol" ]'
out=$(P networks n1 n2 $F --json 2>&1); rc=$?
check "networks --json over two nodes: docker's fields and Node" \
	eval '[ $rc -eq 0 ] && has "$out" "\"Name\":\"$net\",\"Node\":\"n2\"" && [ $(wc -l <<<"$out") -eq 2 ]'
check "networks over one named node stays docker's" \
	exact "P networks n1 $F" "docker network ls $F"
out=$(P volumes $F --format 'table {{.Node}}\t{{.Name}}' 2>&1); rc=$?
check "volumes --format over every joined node, with NODE as .Node's header" \
	eval '[ $rc -eq 0 ] && has "$out" "^NODE  *VOLUME NAME$" && has "$out" "^n2  *$vol$"'

# Completion scripts: accepted by each shell, and bash's offering the
# commands, a family's subcommands, options, node and container names.
for sh in bash zsh fish; do
	P completion $sh >"$tmp/c.$sh" 2>&1; rc=$?
	check "pier completion $sh is accepted by $sh -n" \
		eval '[ $rc -eq 0 ] && $sh -n "$tmp/c.$sh"'
done
complete_bash() {
	PIER_CONFIG_DIR=$admin XDG_CACHE_HOME=$tmp/cache PATH="$(dirname "$pier"):$PATH" \
		bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		_pier_complete; printf "%s\n" "${COMPREPLY[@]}"' _ "$tmp/c.bash" "$@"
}
out=$(complete_bash pier vol)
check "bash completes command names from the table" \
	eval '[ "$out" = "volume
volumes" ]'
out=$(complete_bash pier network "")
check "bash completes a family's subcommands" \
	eval 'has "$out" "^ls$" && has "$out" "^inspect$"'
out=$(complete_bash pier ps --fo)
check "bash completes a command's options" eval '[ "$out" = "--format" ]'
out=$(complete_bash pier logs "")
check "bash completes node names and NODE/CONTAINER" \
	eval 'has "$out" "^n1$" && has "$out" "^n2$" && has "$out" "^n1/pfmt$id-a$"'
docker rm -f "pfmt$id-b" >/dev/null
touch "$tmp/cache/pier/complete-containers"	# fresh, however slow the machine
out=$(complete_bash pier logs "n1/pfmt$id")
check "container names come from a short-lived cache" \
	eval '[ -s "$tmp/cache/pier/complete-containers" ] && has "$out" "^n1/pfmt$id-b$"'
touch -d '1 minute ago' "$tmp/cache/pier/complete-containers"
out=$(complete_bash pier logs "n1/pfmt$id")
check "a stale cache is asked again" \
	eval 'has "$out" "^n1/pfmt$id-a$" && ! has "$out" "pfmt$id-b"'
out=$(P version --json); rc=$?
check "pier version --json" \
	eval '[ $rc -eq 0 ] && has "$out" "^{\"version\":\"[0-9.]*\",\"protocol\":[0-9]*}$"'
out=$(P --version); rc=$?
check "pier --version" eval '[ $rc -eq 0 ] && has "$out" "^pier [0-9.]*$"'
out=$(P help --man); rc=$?
check "pier help --man writes pier(1) with every command" \
	eval '[ $rc -eq 0 ] && has "$out" "^.TH PIER 1" && has "$out" "^.SS \"pier completion bash|zsh|fish\"" &&
	has "$out" "^\\\\fB\\\\-\\\\-format\\\\fR"'

e2e_done
