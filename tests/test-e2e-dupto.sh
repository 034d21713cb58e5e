#!/usr/bin/env bash
# End to end against the real engine: `pier dup NODE/CONTAINER --to
# NODE2`. Two pierd on 127.0.0.1 share the one engine (so the copy takes
# another name there, and is left created: the source's fixed host port
# is in use). A container made by docker itself with env, labels, a fixed
# port, a named volume, a bind, a restart policy and a command is copied
# to n2 and docker inspect must show the same configuration; a field
# container.create cannot say (--cpu-shares) is a warning on stderr; the
# overrides (-p, -v, -l) apply; a copy of a running source starts
# unless --no-start; an image n2 lacks is pulled first and the
# failure (no registry here) names the image; a viewer and an operator
# are refused as for dup. Prints TAP. Containers, volumes and the image
# tag carry or are named by dupto-$$ and are removed at the end.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init dupto
image=pier-test/busybox:latest
tag=dupto-$$
case_label=pier.test.case=$tag
d=pdt$$

# cleanup_more: this test's containers, volume and image tag.
cleanup_more() {
	docker ps -aq --filter "label=$case_label" | xargs -r docker rm -fv \
		>/dev/null 2>&1
	docker volume rm -f $d-vol >/dev/null 2>&1
	docker rmi pier-test/dupto:$tag >/dev/null 2>&1
}

pc() { PIER_CONFIG_DIR=$tmp/client "$pier" "$@" </dev/null; }

e2e_need_docker

for i in 1 2; do
	port=$(free_port)
	check "pierd $i starts" \
		start_node "$tmp/s$i" "$port" "$dockerhost" "$tmp/pierd$i.log"
	key=$("$pierd" key show --state-dir "$tmp/s$i" 2>/dev/null)
	out=$(pc join "$key" --name n$i 2>&1)
	check "the client joins n$i" has "$out" "joined n$i"
done

hp=$(free_port)
mkdir -p "$tmp/bind"
docker create --name $d-src -l pier.test=1 -l $case_label -l k=v \
	-e A=1 -e 'B=two words' -p 127.0.0.1:$hp:80/tcp -p 53/udp \
	-v $d-vol:/named -v "$tmp/bind:/b:ro" -v /anon \
	--restart on-failure:4 -w /tmp -u 0 --memory 64m --cpus 0.5 \
	--cpu-shares 512 $image sleep 700 >/dev/null
fields='{{json .Config.Cmd}} {{json .Config.Env}} {{json .Config.Labels}} {{.Config.Image}} {{.Config.WorkingDir}} {{.Config.User}} {{json .HostConfig.PortBindings}} {{json .HostConfig.Binds}} {{json .HostConfig.RestartPolicy}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.NetworkMode}}'
mounts='{{range .Mounts}}{{.Type}}:{{if eq .Type "bind"}}{{.Source}}{{else if ne (len .Name) 64}}{{.Name}}{{end}}:{{.Destination}}:{{.RW}} {{end}}'
# config NAME: the fields compared, the mounts sorted (the engine's order
# is its own).
config() {
	di "$fields" "$1"
	di "$mounts" "$1" | tr ' ' '\n' | sort | tr '\n' ' '
}

out=$(pc dup n1/$d-src --to n2 --name $d-copy 2>"$tmp/err"); rc=$?
err=$(cat "$tmp/err")
check "dup --to prints the copy's name" \
	eval '[ $rc -eq 0 ] && [ "$out" = "$d-copy" ]'
want=$(config $d-src)
got=$(config $d-copy)
out="source: $want
copy:   $got"
check "docker inspect shows the copy with the source's command, env, labels, ports, volumes, restart policy and limits" \
	eval 'has "$want" "volume:$d-vol:/named:true" && has "$want" "volume::/anon:true" && has "$want" "bind:$tmp/bind:/b:false" && [ "$want" = "$got" ]'
out=$err
check "a field container.create cannot say is a warning naming it" \
	has "$err" "WARNING: HostConfig.CpuShares on n1 is not copied to n2"
out=$(di '{{.State.Status}}' $d-copy)
check "a copy of a stopped source is left created" [ "$out" = created ]

docker run -d --name $d-run -l pier.test=1 -l $case_label $image \
	sleep 700 >/dev/null
out=$(pc dup n1/$d-run --to n2 --name $d-run2 2>&1); rc=$?
check "a copy of a running source is started" \
	eval '[ $rc -eq 0 ] && [ "$out" = "$d-run2" ] && [ "$(di "{{.State.Status}}" $d-run2)" = running ]'
out=$(pc dup n1/$d-run --to n2 --name $d-run3 --no-start 2>&1); rc=$?
check "with --no-start it is left created" \
	eval '[ $rc -eq 0 ] && [ "$(di "{{.State.Status}}" $d-run3)" = created ]'

out=$(pc dup n1/$d-run --to n1 --no-start 2>&1); rc=$?
check "--to the source's own node makes a plain copy, NAME-copy" \
	eval '[ $rc -eq 0 ] && [ "$out" = "$d-run-copy" ] && [ "$(di "{{.Name}}" $d-run-copy)" = /$d-run-copy ]'

hp2=$(free_port)
out=$(pc dup n1/$d-src --to n2 --name $d-over -p 127.0.0.1:$hp2:81 \
	-v $d-vol:/other -l k=w 2>&1); rc=$?
got=$(di '{{json .HostConfig.PortBindings}} {{index .Config.Labels "k"}} {{json .HostConfig.Binds}}' $d-over)
out="$out / $got"
check "dup --to takes -p, -v and -l overrides" \
	eval '[ $rc -eq 0 ] && has "$got" "{\"81/tcp\":\[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$hp2\"}\]} w " && has "$got" "$d-vol:/other"'

# n2 lacks the image: its tag is gone once the source is made.
docker tag $image pier-test/dupto:$tag
docker create --name $d-gone -l pier.test=1 -l $case_label \
	pier-test/dupto:$tag true >/dev/null
docker rmi pier-test/dupto:$tag >/dev/null
out=$(pc dup n1/$d-gone --to n2 --name $d-gone2 2>&1); rc=$?
check "an image the other node lacks is pulled first, and the failure names it" \
	eval '[ $rc -ne 0 ] && has "$out" "Unable to find image '"'"'pier-test/dupto:$tag'"'"' on n2; pulling it" && ! docker inspect $d-gone2 >/dev/null 2>&1'

out=$(pc dup n1/$d-nosuch --to n2 2>&1); rc=$?
check "dup --to of a container that does not exist fails naming it" \
	eval '[ $rc -ne 0 ] && has "$out" "$d-nosuch"'

for role in viewer operator; do
	k=$(pc key create n1 --name $role-$$ --role $role 2>/dev/null)
	PIER_CONFIG_DIR=$tmp/$role "$pier" join "$k" --name n1 >/dev/null 2>&1
	out=$(PIER_CONFIG_DIR=$tmp/$role "$pier" dup n1/$d-src --to n2 \
		--name $d-$role 2>&1); rc=$?
	check "$role is refused dup --to" \
		eval '[ $rc -ne 0 ] && has "$out" "container.duplicate needs the admin role; this key is $role" && ! docker inspect $d-$role >/dev/null 2>&1'
done

e2e_stop_nodes
e2e_done
