#!/usr/bin/env bash
# End to end against the real engine: two pierds on 127.0.0.1 sharing it,
# pier joined to both as admin and to the first as a viewer. pier stack up
# sends a two-service compose file (with .env, an env_file: and an
# --include'd bind-mount source) from a local folder; the node keeps it
# in a root-only folder, compose's output comes back and the containers
# carry the project label; stack ls across both nodes (a stack started by
# hand with compose shows too, and restarts and goes down from its
# labels), ps, logs, down (files kept) and down --purge; a compose error gives compose's own message and a non-zero
# exit with nothing left; bad names, escaping paths and --pull without a
# registry; Ctrl-C once detaches (compose goes on, even past pierd's
# stop, which must not wait for it), twice stops it; a
# viewer lists but may not deploy; Portainer stack templates (type 3 and
# 2) from tests/fixtures/templates-stacks.json through pier deploy, and
# the real template files from ../shared when present; a host with no
# compose names both commands it tried; a single-node
# swarm (initialised here and left in the trap) with pier stack up
# --swarm, pier services and stack ls. Everything this test makes
# carries its pid in a name and is removed. Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init stacks
src=$(cd "$(dirname "$0")/.." && pwd)
id=$$
s1=pts$id		# the laptop-file stack
s2=ptt$id		# the template stack
hand=pth$id		# started by hand
swarm_left=0

compose_cmd() {
	if docker compose version >/dev/null 2>&1; then
		docker compose "$@"
	else
		docker-compose "$@"
	fi
}

# cleanup_more: what this test made in the engine (and the swarm).
cleanup_more() {
	local p
	for p in "$s1" "$s2" "$hand" "${s1}b" "${s1}x" "${s1}s" "${s1}k" \
	    "${s1}d"; do
		docker ps -aq --filter "label=com.docker.compose.project=$p" |
			xargs -r docker rm -f -v >/dev/null 2>&1
		docker network rm "${p}_default" >/dev/null 2>&1
	done
	pkill -f "project-name ${s1}[dk]" 2>/dev/null
	if [ "$swarm_left" = 1 ]; then
		docker stack rm "w$id" >/dev/null 2>&1
		docker stack rm "ptw$id" >/dev/null 2>&1
		docker swarm leave --force >/dev/null 2>&1
	fi
}
P() { PIER_CONFIG_DIR=$admin "$pier" "$@"; }
V() { PIER_CONFIG_DIR=$viewer "$pier" "$@"; }
running() {
	[ "$(docker ps -q --filter "label=com.docker.compose.project=$1" \
	    --filter status=running | wc -l)" -eq "$2" ]
}
count() {
	docker ps -aq --filter "label=com.docker.compose.project=$1" | wc -l
}

e2e_need_docker
if ! docker image inspect pier-test/busybox:latest >/dev/null 2>&1; then
	echo "1..0 # SKIP no pier-test/busybox image (run tools/docker-engine)"
	exit 0
fi
if ! docker compose version >/dev/null 2>&1 &&
    ! command -v docker-compose >/dev/null; then
	echo "1..0 # SKIP no compose here (tools/setup-deps --test installs it)"
	exit 0
fi

port1=$(free_port)
check "the first pierd starts" \
	start_node "$tmp/st1" "$port1" "$dockerhost" "$tmp/n1.log"
port2=$(free_port)
check "the second pierd starts" \
	start_node "$tmp/st2" "$port2" "$dockerhost" "$tmp/n2.log"
admin=$tmp/admin
viewer=$tmp/viewer
P join "$("$pierd" key show --state-dir "$tmp/st1" --listen \
    "127.0.0.1:$port1" 2>/dev/null)" --name n1 >/dev/null 2>&1
P join "$("$pierd" key show --state-dir "$tmp/st2" --listen \
    "127.0.0.1:$port2" 2>/dev/null)" --name n2 >/dev/null 2>&1
vkey=$(P key create n1 --name viewer1 --role viewer 2>/dev/null)
V join "$vkey" --name n1 >/dev/null 2>&1

# The laptop's project folder.
app=$tmp/app
mkdir -p "$app/conf" "$tmp/outside"
cat >"$app/compose.yml" <<EOF
services:
  web:
    image: pier-test/busybox:latest
    pull_policy: never
    stop_signal: SIGKILL
    command: ["sh", "-c", "echo web-says-\$\${WORD}; sleep 100000"]
    environment:
      WORD: "\${WORD}"
  cache:
    image: pier-test/busybox:latest
    pull_policy: never
    stop_signal: SIGKILL
    env_file: cache.env
    volumes:
      - ./conf:/conf:ro
    command: ["sh", "-c", "echo cache-\$\$FLAVOUR; cat /conf/setting; sleep 100000"]
EOF
echo "WORD=hello-from-dotenv" >"$app/.env"
echo "FLAVOUR=from-env-file" >"$app/cache.env"
echo "setting-from-include" >"$app/conf/setting"
echo secret >"$tmp/outside/file"

out=$(P stack up n1 -f "$app/compose.yml" --name "$s1" --include conf 2>&1)
rc=$?
check "stack up deploys two services from the laptop's files" \
	eval '[ $rc -eq 0 ] && running $s1 2'
check "compose's own output comes back live" \
	eval 'has "$out" "$s1" && has "$out" "[Cc]reat"'
folder=$tmp/st1/stacks/$s1
check "the node keeps the files in a root-only folder" \
	eval '[ "$(stat -c %a "$tmp/st1/stacks")" = 700 ] &&
	[ "$(stat -c %a "$folder")" = 700 ] &&
	[ "$(stat -c %a "$folder/compose.yml")" = 600 ] &&
	[ -f "$folder/.env" ] && [ -f "$folder/cache.env" ] &&
	[ -f "$folder/conf/setting" ]'
check "the containers carry the project label" \
	eval '[ "$(docker ps --filter label=com.docker.compose.project=$s1 \
	    --format "{{.Label \"com.docker.compose.service\"}}" | sort | tr "\n" " ")" = "cache web " ]'
check ".env, env_file: and the --include'd bind source reach the containers" \
	wait_for 10 eval 'l=$(P stack logs n1/$s1 2>&1);
	has "$l" "web-says-hello-from-dotenv" && has "$l" "cache-from-env-file" &&
	has "$l" "setting-from-include"'

# ls across both nodes (one engine: both see every stack), with a stack
# started by hand on the host.
mkdir -p "$tmp/hand"
printf 'services:\n  h:\n    image: pier-test/busybox:latest\n    pull_policy: never\n    stop_signal: SIGKILL\n    command: ["sleep", "100000"]\n' \
	>"$tmp/hand/compose.yml"
(cd "$tmp/hand" && compose_cmd -p "$hand" up -d >/dev/null 2>&1)
out=$(P stack ls 2>&1); rc=$?
check "stack ls lists the stacks of every joined node" \
	eval '[ $rc -eq 0 ] && has "$out" "^NAME  *NODE  *TYPE  *SERVICES  *RUNNING  *STATUS" &&
	has "$out" "^$s1  *n1  *compose  *2  *2/2  *running" &&
	has "$out" "^$s1  *n2  *compose  *2  *2/2  *running"'
check "a stack started by hand on the host shows too" \
	has "$out" "^$hand  *n1  *compose  *1  *1/1  *running"
out=$(P stack ls n2 --json 2>&1)
check "stack ls NODE --json names the node and what pier stores" \
	eval 'jget <(echo "$out") "[r for r in j if r[\"name\"] == \"$s1\"][0][\"node\"]" | grep -qx n2'
out=$(P stack ps n1/$s1 2>&1); rc=$?
check "stack ps lists the stack's containers by service" \
	eval '[ $rc -eq 0 ] && has "$out" "^NAME  *SERVICE  *STATE" &&
	has "$out" " web  *running " && has "$out" " cache  *running "'
out=$(V stack ls n1 2>&1); rc=$?
out2=$(V stack ps n1/$s1 2>&1); rc2=$?
check "a viewer lists stacks and their containers" \
	eval '[ $rc -eq 0 ] && [ $rc2 -eq 0 ] && has "$out" "^$s1 " && has "$out2" " web "'
out=$(V stack up n1 -f "$app/compose.yml" --name "${s1}b" 2>&1); rc=$?
check "a viewer may not deploy a stack" \
	eval '[ $rc -eq 1 ] && has "$out" "admin" && [ "$(count ${s1}b)" -eq 0 ]'
out=$(V stack down n1/$s1 2>&1); rc=$?
check "nor take one down" eval '[ $rc -eq 1 ] && running $s1 2'

# Restart, then an up without files uses the stored ones.
out=$(P stack restart n1/$s1 2>&1); rc=$?
check "stack restart restarts the containers" \
	eval '[ $rc -eq 0 ] && has "$out" "[Rr]estart" && running $s1 2'

# Bad input.
mkdir -p "$tmp/bad"
printf 'services:\n  a:\n    image: pier-test/busybox:latest\n    bogus_key_%s: 1\n' "$id" \
	>"$tmp/bad/compose.yml"
out=$(P stack up n1 -f "$tmp/bad/compose.yml" --name "${s1}x" 2>&1); rc=$?
check "a compose error gives compose's own message and a non-zero exit" \
	eval '[ $rc -ne 0 ] && has "$out" "bogus_key_$id"'
check "and leaves nothing behind" \
	wait_for 5 eval '[ "$(count ${s1}x)" -eq 0 ] && [ ! -e "$tmp/st1/stacks/${s1}x" ]'
out=$(P stack up n1 -f "$app/compose.yml" --name "Bad Name" 2>&1); rc=$?
check "a name compose would not take is refused" \
	eval '[ $rc -eq 2 ] && has "$out" "not a stack name"'
out=$(P stack up n1 -f "$app/compose.yml" --name "${s1}b" \
    --include ../outside 2>&1); rc=$?
check "an --include that leaves the folder is refused" \
	eval '[ $rc -eq 1 ] && has "$out" "outside the stack.s folder" &&
	[ ! -e "$tmp/st1/stacks/${s1}b" ]'
head -c 600000 /dev/zero >"$app/big.bin"
out=$(P stack up n1 -f "$app/compose.yml" --name "${s1}b" \
    --include big.bin 2>&1); rc=$?
rm -f "$app/big.bin"
check "a file over the size limit is refused" \
	eval '[ $rc -eq 1 ] && has "$out" "big.bin: over the limit"'
out=$(P stack up n1 -f "$app/compose.yml" --name "$s1" --include conf \
    --pull 2>&1); rc=$?
check "--pull without a registry fails with compose's message" \
	eval '[ $rc -ne 0 ] && has "$out" "[Pp]ull" && has "$out" "registry\|denied\|no such host\|resolve"'

# Ctrl-C: a stack whose up waits on a health check that never passes.
mkdir -p "$tmp/slow"
cat >"$tmp/slow/compose.yml" <<'EOF'
services:
  s:
    image: pier-test/busybox:latest
    pull_policy: never
    stop_signal: SIGKILL
    command: ["sleep", "100000"]
    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      retries: 120
  t:
    image: pier-test/busybox:latest
    pull_policy: never
    stop_signal: SIGKILL
    command: ["sleep", "100000"]
    depends_on:
      s:
        condition: service_healthy
EOF
composing() { pgrep -f "project-name $1 " >/dev/null; }
setsid bash -c "PIER_CONFIG_DIR=$admin exec $pier stack up n1 -f $tmp/slow/compose.yml --name ${s1}d" \
	>"$tmp/d.out" 2>&1 &
p=$!
wait_for 20 eval 'running ${s1}d 1'
kill -INT $p
wait $p; rc=$?
check "Ctrl-C once detaches: pier exits 0, compose goes on on the node" \
	eval '[ $rc -eq 0 ] && has "$(cat $tmp/d.out)" "detached" && composing ${s1}d'
setsid bash -c "PIER_CONFIG_DIR=$admin exec $pier stack up n1 -f $tmp/slow/compose.yml --name ${s1}k" \
	>"$tmp/k.out" 2>&1 &
p=$!
wait_for 20 eval 'running ${s1}k 1 && composing ${s1}k'
kill -INT $p; sleep 0.2; kill -INT $p
wait $p; rc=$?
check "Ctrl-C twice stops compose on the node (pier exits 130)" \
	eval '[ $rc -eq 130 ] && wait_for 5 eval "! composing ${s1}k"'

# down keeps the files; --purge removes them; -v is passed on.
out=$(P stack down n1/$s1 2>&1); rc=$?
check "stack down removes the containers and keeps the files" \
	eval '[ $rc -eq 0 ] && [ "$(count $s1)" -eq 0 ] && [ -f "$folder/compose.yml" ]'
out=$(P stack ls n1 2>&1)
check "a stored stack without containers lists as down" \
	has "$out" "^$s1  *n1  *compose  *0  *0/0  *down"
out=$(P stack up n1/$s1 2>&1); rc=$?
check "stack up NODE/NAME runs again on the files the node keeps" \
	eval '[ $rc -eq 0 ] && running $s1 2'
out=$(P stack down n1/$s1 --purge -v 2>&1); rc=$?
check "stack down --purge removes the stored files once down" \
	eval '[ $rc -eq 0 ] && wait_for 5 eval "[ ! -e $folder ]"'
out=$(P stack ps n1/$s1 2>&1); rc=$?
check "a stack that is gone is not found" \
	eval '[ $rc -eq 1 ] && has "$out" "no stack $s1"'

# Portainer stack templates from our own fixture.
sed "s|@FIXTURES@|$src/tests/fixtures|g" \
	"$src/tests/fixtures/templates-stacks.json" >"$tmp/templates.json"
out=$(P deploy n1 pier-test-compose --source "$tmp/templates.json" \
    --name "$s2" -e GREETING=howdy -e PIER_TEST_ID=$id </dev/null 2>&1); rc=$?
check "a compose stack template deploys as a stack" \
	eval '[ $rc -eq 0 ] && running $s2 2 &&
	[ "$(docker ps -q --filter label=pier.test.stack=$id | wc -l)" -eq 2 ]'
check "its variables reach compose: given, and the template's default" \
	wait_for 10 eval 'has "$(P stack logs n1/$s2 2>&1)" "howdy-blue"'
out=$(P deploy n1 pier-test-compose --source "$tmp/templates.json" \
    --name "${s2}z" </dev/null 2>&1); rc=$?
check "a required variable missing is named" \
	eval '[ $rc -eq 1 ] && has "$out" "GREETING"'
out=$(P deploy n1 pier-test-escape --source "$tmp/templates.json" \
    </dev/null 2>&1); rc=$?
check "a stack file outside its repository is refused" \
	eval '[ $rc -eq 1 ] && has "$out" "no stack file\|inside it"'
out=$(P deploy n1 pier-test-elsewhere --source "$tmp/templates.json" \
    </dev/null 2>&1); rc=$?
check "a repository pier cannot fetch from is named" \
	eval '[ $rc -eq 1 ] && has "$out" "git.example.com" && has "$out" "not on GitHub"'
P stack down n1/$s2 --purge >/dev/null 2>&1
real=/work/shared/testdata/templates/portainer-templates-3.json
if [ -f "$real" ]; then
	out=$(P deploy n1 "Portainer Agent" --source "$real" \
	    </dev/null 2>&1); rc=$?
	check "a real swarm template's file is asked of GitHub's raw host" \
		eval '[ $rc -eq 1 ] &&
		has "$out" "raw.githubusercontent.com/portainer/templates/HEAD/stacks/portainer-agent/docker-stack.yml"'
else
	skip "a real swarm template's file is asked of GitHub's raw host" \
		"no ../shared template files here"
fi

# Swarm: a single-node swarm on the shared engine, for this test only.
state=$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)
if [ "$state" = inactive ] &&
    out=$(docker swarm init --advertise-addr 127.0.0.1 2>&1); then
	swarm_left=1
fi
if [ "$swarm_left" = 1 ] || [ "$state" = active ]; then
	mkdir -p "$tmp/sw"
	printf 'version: "3.8"\nservices:\n  web:\n    image: pier-test/busybox:latest\n    command: ["sleep", "100000"]\n    deploy:\n      replicas: 2\n' \
		>"$tmp/sw/stack.yml"
	out=$(P stack up n1 --swarm -f "$tmp/sw/stack.yml" --name "w$id" 2>&1)
	rc=$?
	check "stack up --swarm deploys with docker stack deploy" \
		eval '[ $rc -eq 0 ] && has "$out" "w${id}_web"'
	check "pier services lists the swarm's services with replicas" \
		wait_for 30 eval 'has "$(P services n1 2>&1)" "^w${id}_web  *replicated  *2/2  *pier-test/busybox:latest  *w$id"'
	out=$(P stack ls n1 2>&1)
	check "stack ls shows the swarm stack" \
		has "$out" "^w$id  *n1  *swarm  *1  *2/2  *running"
	out=$(P stack restart n1/w$id 2>&1); rc=$?
	check "restart of a swarm stack says why not" \
		eval '[ $rc -eq 1 ] && has "$out" "swarm stack"'
	out=$(P deploy n1 pier-test-swarm --source "$tmp/templates.json" \
	    --name "ptw$id" </dev/null 2>&1); rc=$?
	check "a swarm stack template deploys to the swarm" \
		eval '[ $rc -eq 0 ] && wait_for 30 eval "has \"\$(P services n1 2>&1)\" \"^ptw${id}_app  *replicated  *1/1\""'
	out=$(P stack down n1/w$id 2>&1); rc=$?
	check "stack down of a swarm stack runs docker stack rm" \
		eval '[ $rc -eq 0 ] && has "$out" "Removing service w${id}_web" &&
		! docker service ls --format "{{.Name}}" | grep -q "^w${id}_"'
	P stack down n1/ptw$id >/dev/null 2>&1
else
	skip "swarm cases" "docker swarm init failed: $(tr '\n' ' ' <<<"${out:-node state $state}")"
fi
[ "$swarm_left" = 1 ] && docker swarm leave --force >/dev/null 2>&1 &&
	swarm_left=0
# (the engine answers a moment with its swarm's last words first)
check "pier services on an engine with no swarm says so" \
	wait_for 10 eval 'out=$(P services n2 2>&1); rc=$?;
	[ $rc -eq 1 ] && has "$out" "not a swarm manager"'

out=$(P stack restart n1/$hand 2>&1); rc=$?
check "a stack started by hand restarts where its labels say its files are" \
	eval '[ $rc -eq 0 ] && running $hand 1'
out=$(P stack down n1/$hand 2>&1); rc=$?
check "and goes down the same way" \
	eval '[ $rc -eq 0 ] && [ "$(count $hand)" -eq 0 ]'
out=$(P stack down n1/nosuch$id 2>&1); rc=$?
check "down of a stack that is nowhere is not found" \
	eval '[ $rc -eq 1 ] && has "$out" "no stack nosuch$id"'
# A host with the docker CLI but no compose at all.
mkdir -p "$tmp/bin"
ln -s "$(command -v docker)" "$tmp/bin/docker"
port3=$(free_port)
: >"$tmp/n3.log"
env PATH="$tmp/bin" "$pierd" --state-dir "$tmp/st3" --listen \
	"127.0.0.1:$port3" --docker-host "$dockerhost" >>"$tmp/n3.log" 2>&1 &
pids+=($!)
wait_for 5 eval 'grep -q " ready: " "$tmp/n3.log"'
P join "$("$pierd" key show --state-dir "$tmp/st3" --listen \
    "127.0.0.1:$port3" 2>/dev/null)" --name n3 >/dev/null 2>&1
out=$(P stack up n3 -f "$app/compose.yml" --name "${s1}n" 2>&1); rc=$?
check "no compose on the host: the error names both commands tried" \
	eval '[ $rc -eq 1 ] && has "$out" "docker compose" &&
	has "$out" "docker-compose" && has "$out" "install" &&
	[ ! -e "$tmp/st3/stacks/${s1}n" ]'
check "the detached compose still runs before the nodes stop" composing ${s1}d
e2e_stop_nodes
check "and after: pierd stopped without waiting for it or ending it" \
	composing ${s1}d
pkill -f "project-name ${s1}d " 2>/dev/null
e2e_done
