#!/usr/bin/env bash
# End to end against the real engine: two pierd on 127.0.0.1 (separate
# state dirs and ports), one client joined to both; every container
# command (run, ps, inspect, stop, start, restart, pause, unpause, kill,
# rename, update, dup, rm) checked against what docker itself reports;
# ps across both nodes and with one of them stopped; a name matching two
# containers, a container that does not exist, an image that is not on
# the node, and usage mistakes. Prints TAP. Builds nothing: the programs
# come from $PIER_BUILD_ROOT. Containers carry pier.test=1 and
# pier.test.case=containers-$$ and are removed at the end.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init ct
image=pier-test/busybox:latest
case_label=pier.test.case=containers-$$
p=pe2e$$

# cleanup_more: this test's containers.
cleanup_more() {
	docker ps -aq --filter "label=$case_label" | xargs -r docker rm -fv \
		>/dev/null 2>&1
}

pc() { PIER_CONFIG_DIR=$tmp/client "$pier" "$@"; }

e2e_need_docker

for i in 1 2; do
	port=$(free_port)
	check "pierd $i starts" \
		start_node "$tmp/s$i" "$port" "$dockerhost" "$tmp/pierd$i.log"
	key=$("$pierd" key show --state-dir "$tmp/s$i" 2>/dev/null)
	out=$(pc join "$key" --name n$i 2>&1)
	check "the client joins n$i" has "$out" "joined n$i"
done
pid2=${pids[1]}

# run, checked field by field against docker inspect.
id=$(pc run n1 --name $p-web -l pier.test=1 -l $case_label -l k=v \
	-p 127.0.0.1::80 -v /data -v $p-vol:/named:ro -e A=1 -e B=2 \
	--cpus 0.5 --memory 64m --restart on-failure:3 --hostname hh \
	-w /tmp -u 0 $image sleep 600 2>"$tmp/err"); rc=$?
out="$id $(cat "$tmp/err")"
check "pier run prints the new container's full id" \
	eval '[ $rc -eq 0 ] && [ ${#id} -eq 64 ] && [ "$(di "{{.Id}}" $p-web)" = "$id" ]'
out=$(di '{{.State.Status}} {{.Config.Cmd}} {{.Config.Hostname}} {{.Config.WorkingDir}} {{.Config.User}} {{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}} {{index .Config.Labels "k"}}' $p-web)
check "docker sees it running with the command, hostname, workdir, user, limits, restart policy and labels" \
	[ "$out" = "running [sleep 600] hh /tmp 0 500000000 67108864 on-failure:3 v" ]
out=$(di '{{json .Config.Env}} {{json .HostConfig.PortBindings}}' $p-web)
check "docker sees the environment and the port binding" \
	eval 'has "$out" "\"A=1\",\"B=2\"" && has "$out" "{\"80/tcp\":\[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}\]}"'
out=$(di '{{range .Mounts}}{{.Type}}:{{.Name}}:{{.Destination}}:{{.RW}} {{end}}' $p-web)
check "docker sees an anonymous volume and a read-only named one" \
	eval 'has "$out" "volume:[0-9a-f]\{64\}:/data:true" && has "$out" "volume:$p-vol:/named:false"'
id2=$(pc run n2 --name $p-other -l pier.test=1 -l $case_label $image sleep 600 2>&1)
out=$id2
check "pier run on the second node" [ "$(di '{{.Id}}' $p-other)" = "$id2" ]

# ps across both nodes (they share one engine here, so each lists both).
out=$(pc ps 2>&1); rc=$?
check "pier ps has docker ps's columns with NODE first" \
	eval '[ $rc -eq 0 ] && has "$out" "^NODE  *CONTAINER ID  *IMAGE  *COMMAND  *CREATED  *STATUS  *PORTS  *NAMES$"'
hport=$(docker port $p-web 80/tcp | head -1)
check "each node lists the container with docker's id, image, command, status, ports and name" \
	eval 'has "$out" "^n1  *${id:0:12}  *$image  *\"sleep 600\"  *.* ago  *Up .*  *$hport->80/tcp  *$p-web$" && has "$out" "^n2  *${id:0:12} .* $p-web$" && has "$out" "^n2  *${id2:0:12} .* $p-other$"'
pc ps --json n1 >"$tmp/ps.json" 2>&1
want=$(docker ps --no-trunc --format '{{.ID}} {{.Names}} {{.Image}} {{.State}}' --filter "id=$id")
got=$(jget "$tmp/ps.json" '[" ".join([r["id"], r["name"], r["image"], r["state"]]) for r in j if r["id"] == "'$id'"][0]')
out="pier: $got; docker: $want"
check "pier ps --json n1 agrees with docker ps --no-trunc" [ "$got" = "$want" ]
out=$(jget "$tmp/ps.json" 'set(r["node"] for r in j)')
check "pier ps --json n1 asks only n1" [ "$out" = "{'n1'}" ]
out=$(pc ps -q n2 2>&1)
check "pier ps -q prints NODE/ID" has "$out" "^n2/${id2:0:12}$"

# inspect.
pc inspect n1/$p-web >"$tmp/insp.json" 2>&1; rc=$?
out=$(jget "$tmp/insp.json" '"%s %s %d" % (j[0]["Id"], j[0]["Name"], len(j))' 2>&1)
check "pier inspect prints the engine's object in a JSON array" \
	eval '[ $rc -eq 0 ] && [ "$out" = "$id /$p-web 1" ]'
check "pier inspect by unique id prefix" \
	eval '[ "$(pc inspect n1/${id:0:10} | python3 -c "import json,sys; print(json.load(sys.stdin)[0][\"Id\"])")" = "$id" ]'

out=$(pc top n1/$p-web 2>&1); rc=$?
want=$(docker top $p-web | awk 'NR == 2 { print $2 }')
check "pier top lists the process docker top lists" \
	eval '[ $rc -eq 0 ] && has "$out" "^UID  *PID  *PPID" && has "$out" "^root  *$want .*sleep 600$"'
out=$(pc top n1/$p-web -o pid,comm 2>&1); rc=$?
check "pier top passes ps options" \
	eval '[ $rc -eq 0 ] && has "$out" "^PID  *COMMAND" && has "$out" "^$want  *sleep$"'

# Lifecycle, each against docker's view.
out=$(pc stop -t 1 n1/$p-web 2>&1); rc=$?
check "pier stop prints the target; docker sees it exited" \
	eval '[ $rc -eq 0 ] && [ "$out" = "n1/$p-web" ] && [ "$(di "{{.State.Status}}" $p-web)" = exited ]'
out=$(pc stop n1/$p-web 2>&1); rc=$?
check "stopping a stopped container succeeds, as docker's does" [ $rc -eq 0 ]
out=$(pc start n1/$p-web 2>&1); rc=$?
check "pier start; docker sees it running" \
	eval '[ $rc -eq 0 ] && [ "$(di "{{.State.Status}}" $p-web)" = running ]'
before=$(di '{{.State.StartedAt}}' $p-web)
out=$(pc restart -t 1 n1/$p-web 2>&1); rc=$?
check "pier restart; docker sees a new start time" \
	eval '[ $rc -eq 0 ] && [ "$(di "{{.State.StartedAt}}" $p-web)" != "$before" ] && [ "$(di "{{.State.Status}}" $p-web)" = running ]'
out=$(pc pause n1/$p-web 2>&1); rc=$?
check "pier pause; docker sees it paused" \
	eval '[ $rc -eq 0 ] && [ "$(di "{{.State.Status}}" $p-web)" = paused ]'
out=$(pc ps n1 2>&1)
check "pier ps shows it paused" has "$out" "Up .* (Paused) .*$p-web$"
out=$(pc unpause n1/$p-web 2>&1); rc=$?
check "pier unpause; docker sees it running" \
	eval '[ $rc -eq 0 ] && [ "$(di "{{.State.Status}}" $p-web)" = running ]'
out=$(pc kill -s KILL n1/$p-web 2>&1); rc=$?
wait_for 10 eval '[ "$(di "{{.State.Status}}" $p-web)" = exited ]'
check "pier kill -s KILL; docker sees it exited with 137" \
	eval '[ $rc -eq 0 ] && [ "$(di "{{.State.Status}} {{.State.ExitCode}}" $p-web)" = "exited 137" ]'
out=$(pc kill n1/$p-web 2>&1); rc=$?
check "killing a stopped container fails with the engine's reason" \
	eval '[ $rc -eq 1 ] && has "$out" "pier kill: n1/$p-web: .*not running"'
pc start n1/$p-web >/dev/null 2>&1
out=$(pc rename n1/$p-web $p-web2 2>&1); rc=$?
check "pier rename prints nothing; docker sees the new name" \
	eval '[ $rc -eq 0 ] && [ -z "$out" ] && [ "$(di "{{.Name}}" $id)" = /$p-web2 ]'
out=$(pc update --cpus 1 --memory 128m --restart always n1/$p-web2 2>&1); rc=$?
check "pier update; docker sees the new limits and policy" \
	eval '[ $rc -eq 0 ] && [ "$out" = "n1/$p-web2" ] && [ "$(di "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}" $id)" = "1000000000 134217728 always" ]'
out=$(pc update n1/$p-web2 2>&1); rc=$?
check "pier update with nothing to change is a usage error" [ $rc -eq 2 ]

# dup.
out=$(pc dup n1/$p-web2 --name $p-dup -e A=9 -e C=3 --memory 32m --hostname dd 2>&1); rc=$?
check "pier dup prints the copy's name" eval '[ $rc -eq 0 ] && [ "$out" = "$p-dup" ]'
out=$(di '{{.State.Status}} {{.Config.Cmd}} {{.Config.Hostname}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{index .Config.Labels "k"}} {{json .Config.Env}}' $p-dup)
check "docker sees the copy running with the source's command, labels and cpus and the overrides" \
	eval 'has "$out" "^running \[sleep 600\] dd 33554432 1000000000 v " && has "$out" "\"A=9\",\"B=2\"" && has "$out" "\"C=3\""'
out=$(pc dup n1/$p-web2 2>&1); rc=$?
check "pier dup without a name gives NAME-copy" eval '[ $rc -eq 0 ] && [ "$out" = "$p-web2-copy" ] && [ "$(di "{{.Name}}" $p-web2-copy)" = /$p-web2-copy ]'
out=$(pc dup n1/$p-web2 --no-start 2>&1); rc=$?
check "a second one is NAME-copy-2, left created with --no-start" \
	eval '[ $rc -eq 0 ] && [ "$out" = "$p-web2-copy-2" ] && [ "$(di "{{.State.Status}}" $p-web2-copy-2)" = created ]'

docker run -d --name $p-h --network host -l pier.test=1 -l $case_label $image sleep 600 >/dev/null
docker run -d --name $p-c --network container:$p-h -l pier.test=1 -l $case_label $image sleep 600 >/dev/null
out=$(pc dup n1/$p-c 2>&1; pc dup n1/$p-h --network bridge --name $p-hb 2>&1); rc=$?
check "dup of a container on another's network, and of a host-network one onto the bridge" \
	eval '[ "$(di "{{.HostConfig.NetworkMode}} {{.State.Status}}" $p-c-copy)" = "container:$(di "{{.Id}}" $p-h) running" ] && [ "$(di "{{.HostConfig.NetworkMode}} {{.State.Status}} {{.Config.Hostname}}" $p-hb)" = "bridge running $(di "{{.Id}}" $p-hb | cut -c1-12)" ]'
docker rm -f $p-c $p-c-copy $p-hb $p-h >/dev/null 2>&1

# Names that match two containers, or none.
ids=$(docker ps -aq --no-trunc --filter "label=$case_label")
for _ in $(seq 17); do
	dupc=$(cut -c1 <<<"$ids" | sort | uniq -d | head -1)
	[ -n "$dupc" ] && break
	docker create -l pier.test=1 -l $case_label $image true >/dev/null
	ids=$(docker ps -aq --no-trunc --filter "label=$case_label")
done
# The prefix grows while it still matches two or more of any container.
pre=$dupc
all=$(docker ps -aq --no-trunc)
while [ "$(grep -c "^$pre" <<<"$all")" -ge 2 ] && [ ${#pre} -lt 64 ]; do
	nxt=$(grep "^$pre" <<<"$all" | cut -c$((${#pre} + 1)) | sort | uniq -d | head -1)
	[ -z "$nxt" ] && break
	pre=$pre$nxt
done
out=$(pc inspect n1/$pre 2>&1); rc=$?
check "an id prefix that matches two containers is ambiguous, with the matches" \
	eval '[ $rc -eq 1 ] && has "$out" "$pre matches more than one container: $pre"'
out=$(pc start n1/$p-nosuch n1/$p-web2 2>"$tmp/err"); rc=$?
err=$(cat "$tmp/err")
out="$out / $err"
check "a container that does not exist: a clear error, the others still done, exit 1" \
	eval '[ $rc -eq 1 ] && has "$err" "pier start: n1/$p-nosuch: no such container: $p-nosuch" && has "$out" "^n1/$p-web2 /"'
out=$(pc run n1 --pull never -l pier.test=1 -l $case_label pier-test/none-$$:latest true 2>&1); rc=$?
check "run --pull never with an image that is not on the node says to pull it first" \
	eval '[ $rc -eq 1 ] && has "$out" "image pier-test/none-$$:latest not found on the node; pull it first"'
pc run n1 -l pier.test=1 -l $case_label pier-test/none-$$:latest true >"$tmp/out" 2>"$tmp/err"; rc=$?
out="rc $rc; stdout: $(cat "$tmp/out"); stderr: $(cat "$tmp/err")"
check "run pulls a missing image first, its progress on stderr, and fails with the pull's reason (no registry here)" \
	eval '[ $rc -eq 1 ] && [ ! -s "$tmp/out" ] && has "$(cat "$tmp/err")" "Unable to find image .pier-test/none-$$:latest. on n1; pulling it" && has "$(cat "$tmp/err")" "^pier run: n1: "'
out=$(pc run n1 --pull sometimes $image 2>&1); rc=$?
check "a bad --pull is a usage error" [ $rc -eq 2 ]

# Usage mistakes.
out=$(pc run n1 -p notaport $image 2>&1); rc=$?
check "a bad -p is a usage error naming it" eval '[ $rc -eq 2 ] && has "$out" "notaport"'
out=$(pc run n1 --memory lots $image 2>&1); rc=$?
check "a bad --memory is a usage error" [ $rc -eq 2 ]
out=$(pc stop 2>&1); rc=$?
check "stop without a target is a usage error" [ $rc -eq 2 ]
out=$(pc stop $p-web2 2>&1); rc=$?
check "with two nodes joined, a target without NODE/ is refused" \
	eval '[ $rc -ne 0 ] && has "$out" "which node"'
for c in ps inspect start stop restart kill pause unpause rm rename update run dup top; do
	out=$(pc $c --help 2>&1); rc=$?
	[ $rc -eq 0 ] && has "$out" "usage: pier $c" || break
done
check "every container command has --help" eval '[ $rc -eq 0 ] && has "$out" "usage: pier top"'

# Roles: a viewer reads, an operator runs the lifecycle, only admins
# create, change and remove.
for role in viewer operator; do
	k=$(pc key create n1 --name $role-$$ --role $role 2>/dev/null)
	PIER_CONFIG_DIR=$tmp/$role "$pier" join "$k" --name n1 >/dev/null 2>&1
done
pv() { PIER_CONFIG_DIR=$tmp/viewer "$pier" "$@"; }
po() { PIER_CONFIG_DIR=$tmp/operator "$pier" "$@"; }
out=$(pv ps 2>&1; pv inspect $p-web2 2>&1 | head -3); rc=$?
check "a viewer may list and inspect" \
	eval 'has "$out" "${id:0:12} .* $p-web2$" && has "$out" "\"Id\": \"$id\""'
out=$(pv stop $p-web2 2>&1; pv rm -f $p-web2 2>&1; pv run n1 $image true 2>&1; pv dup $p-web2 2>&1; pv update --cpus 1 $p-web2 2>&1)
check "a viewer is refused stop, rm, run, dup and update, told the role needed" \
	eval '[ $(grep -c "needs the \(operator\|admin\) role; this key is viewer" <<<"$out") -eq 5 ]'
out=$(po restart -t 0 $p-web2 2>&1); rc=$?
check "an operator may restart" eval '[ $rc -eq 0 ] && [ "$out" = "$p-web2" ]'
out=$(po rm -f $p-web2 2>&1; po run n1 $image true 2>&1; po rename $p-web2 x$$ 2>&1)
check "an operator is refused rm, run and rename" \
	eval '[ $(grep -c "needs the admin role; this key is operator" <<<"$out") -eq 3 ] && docker inspect $id >/dev/null 2>&1'
out=$(grep '"method":"container.stop"' "$tmp/s1/audit.log" | grep '"key":"viewer-'$$'"')
check "the viewer's refused stop is in the audit log" has "$out" '"outcome":"refused"'

# A client killed while its stop waits on the engine: the node cancels
# the call and goes on serving.
id3=$(pc run n1 --name $p-slow -l pier.test=1 -l $case_label $image sleep 600 2>&1)
since=$(date +%s)
PIER_CONFIG_DIR=$tmp/client "$pier" stop -t 30 n1/$p-slow >/dev/null 2>&1 &
cpid=$!
# The engine's kill event (SIGTERM) says the stop is under way.
wait_for 10 eval '[ -n "$(docker events --since "$since" \
	--until "$(date +%s.%N)" --filter "container=$id3" \
	--filter event=kill --format "{{.Action}}")" ]'
kill -KILL $cpid; wait $cpid 2>/dev/null
wait_for 5 grep -q 'disconnected: .*; 1 request in flight cancelled' \
	"$tmp/pierd1.log"
out=$(grep 'in flight cancelled' "$tmp/pierd1.log" | tail -1)
check "a client killed mid-stop: the node cancels its call" \
	has "$out" "1 request in flight cancelled"
out=$(pc ps n1 2>&1); rc=$?
check "and still answers everyone else" \
	eval '[ $rc -eq 0 ] && has "$out" "${id3:0:12} .*$p-slow$"'
pc rm -f n1/$p-slow >/dev/null 2>&1

# A node that does not answer.
kill -STOP "$pid2"
start=$(date +%s%N)
out=$(pc ps --timeout 1 2>"$tmp/err"); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
err=$(cat "$tmp/err")
kill -CONT "$pid2"
out="rc $rc, ${ms} ms, stdout: $out, stderr: $err"
check "a silent node is shown unreachable on stderr within the timeout; the other still prints; exit 1" \
	eval '[ $rc -eq 1 ] && has "$err" "pier ps: n2: unreachable" && has "$out" "n1  *${id:0:12}" && ! has "$out" "^n2 " && [ $ms -lt 2500 ]'
kill -TERM "$pid2"; wait "$pid2"
out=$(pc ps 2>"$tmp/err"); rc=$?
err=$(cat "$tmp/err")
check "a stopped node too" \
	eval '[ $rc -eq 1 ] && has "$err" "pier ps: n2: unreachable" && has "$out" "^n1  *${id:0:12}"'

# rm.
out=$(pc rm n1/$p-web2 2>&1); rc=$?
check "rm of a running container without -f fails with the engine's reason" \
	eval '[ $rc -eq 1 ] && has "$out" "pier rm: n1/$p-web2: .*running"'
vol=$(di '{{range .Mounts}}{{if eq .Destination "/data"}}{{.Name}}{{end}}{{end}}' $id)
out=$(pc rm -f -v n1/$p-web2 n1/$p-dup n1/$p-web2-copy n1/$p-web2-copy-2 n1/$p-other 2>&1); rc=$?
check "pier rm -f -v of several prints each; docker has none of them" \
	eval '[ $rc -eq 0 ] && [ $(wc -l <<<"$out") -eq 5 ] && ! docker inspect $id $p-dup $p-other >/dev/null 2>&1'
check "the anonymous volume went with -v; the named one stays" \
	eval '! docker volume inspect $vol >/dev/null 2>&1 && docker volume inspect $p-vol >/dev/null 2>&1'
docker volume rm $p-vol >/dev/null 2>&1
out=$(grep -c '"method":"container.remove"' "$tmp/s1/audit.log")
check "every removal is in the audit log" [ "$out" -ge 6 ]

kill -TERM "${pids[0]}"; wait "${pids[0]}"; rc=$?
out="exit $rc"
check "pierd stops cleanly" [ $rc -eq 0 ]
pids=()
e2e_done
