#!/usr/bin/env bash
# End to end against the real engine: the docker run flags of `pier run`
# (--rm, -P, --mount, --cap-add/--cap-drop, --dns, --add-host, --log-driver and
# --log-opt, --init, --read-only, --pids-limit, --shm-size, --stop-signal,
# --stop-timeout, --security-opt, --tmpfs, --ulimit, --health-*,
# --no-healthcheck) give the same configuration as docker run with the
# same flags, field by field of docker inspect, and so do pier update's
# limits as docker update's; --rm removes the
# container once it exits, with no client around; unknown values are
# refused naming the allowed ones. Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init runflags
e2e_need_docker
image=${PIER_TEST_IMAGE:-pier-test/busybox:latest}
tag=pe2erf$$

cleanup_more() {
	docker ps -aq --filter "label=pier.test.case=$tag" |
		xargs -r docker rm -f >/dev/null 2>&1
	docker volume rm -f "$tag-vol" >/dev/null 2>&1
}

port=$(free_port)
check "pierd starts" start_node "$tmp/s" "$port" "$dockerhost" "$tmp/l"
export PIER_CONFIG_DIR=$tmp/client
"$pier" join "$("$pierd" key show --state-dir "$tmp/s" 2>/dev/null)" \
	--name n1 >/dev/null 2>&1

flags=(--network none --label pier.test=1 --label "pier.test.case=$tag"
	--cap-add NET_ADMIN --cap-add sys_time --cap-drop MKNOD
	--dns 192.0.2.53 --add-host foo.test:192.0.2.1
	--log-driver json-file --log-opt max-size=1m --init --read-only
	--pids-limit 50 --shm-size 32m --stop-signal SIGUSR1 --stop-timeout 7
	--security-opt no-new-privileges --tmpfs /run:size=1m
	--ulimit nofile=100:200 --health-cmd "true" --health-interval 30s
	--health-timeout 5s --health-retries 3 -P
	--mount "type=bind,source=$tmp,target=/b,readonly"
	--mount "type=volume,source=$tag-vol,target=/v,volume-nocopy"
	--mount type=tmpfs,target=/t,tmpfs-size=1048576)
out=$("$pier" run n1 --name "$tag-p" "${flags[@]}" "$image" sleep 1000 2>&1)
rc=$?
check "pier run with the docker run flags" [ $rc -eq 0 ]
docker run -d --name "$tag-d" "${flags[@]}" "$image" sleep 1000 >/dev/null
for f in .HostConfig.CapAdd .HostConfig.CapDrop .HostConfig.Dns \
	.HostConfig.ExtraHosts .HostConfig.LogConfig .HostConfig.Init \
	.HostConfig.ReadonlyRootfs .HostConfig.PidsLimit .HostConfig.ShmSize \
	.Config.StopSignal .Config.StopTimeout .HostConfig.SecurityOpt \
	.HostConfig.Tmpfs .HostConfig.Ulimits .Config.Healthcheck \
	.HostConfig.PublishAllPorts .HostConfig.Mounts; do
	a=$(docker inspect -f "{{json $f}}" "$tag-p")
	b=$(docker inspect -f "{{json $f}}" "$tag-d")
	out="pier: $a docker: $b"
	check "$f as docker run sets it" [ "$a" = "$b" ]
done
"$pier" run n1 --name "$tag-n" --network none --label "pier.test.case=$tag" \
	--no-healthcheck "$image" true >/dev/null 2>&1
out=$(docker inspect -f '{{json .Config.Healthcheck}}' "$tag-n")
check "--no-healthcheck: Test NONE" has "$out" '"NONE"'

# --rm: the engine removes it once it exits, pier long gone.
"$pier" run n1 --rm --name "$tag-rm" --network none \
	--label "pier.test.case=$tag" "$image" sleep 1 >/dev/null 2>&1
gone() { ! docker inspect "$tag-rm" >/dev/null 2>&1; }
check "--rm: the container is removed after it exits" wait_for 20 gone

out=$("$pier" run n1 --cap-add FOO "$image" true 2>&1); rc=$?
check "an unknown capability is refused, naming the known ones" \
	eval '[ $rc -ne 0 ] && has "$out" "unknown capability FOO" &&
	has "$out" "NET_ADMIN"'
arch=$(docker version -f '{{.Server.Os}}/{{.Server.Arch}}')
out=$("$pier" run n1 --platform "$arch" --network none --name "$tag-pl" \
	--label "pier.test.case=$tag" "$image" true 2>&1); rc=$?
check "--platform of the host's own runs" \
	eval '[ $rc -eq 0 ] && [ "$(docker inspect -f "{{.Platform}}" "$tag-pl")" = "${arch%/*}" ]'
a=$("$pier" run n1 --platform linux/s390x --network none "$image" true \
	>/dev/null 2>&1; echo $?)
b=$(docker create --platform linux/s390x --network none "$image" true \
	>/dev/null 2>&1; echo $?)
check "--platform the image lacks fails, as docker's" \
	eval '[ "$a" -ne 0 ] && [ "$b" -ne 0 ]'
out=$("$pier" run n1 --mount type=nfs,target=/x "$image" true 2>&1); rc=$?
check "an unknown --mount type is refused, naming the types" \
	eval '[ $rc -ne 0 ] && has "$out" "bind, volume, tmpfs"'
out=$("$pier" run n1 --mount type=bind,target=/x "$image" true 2>&1); rc=$?
check "a bind --mount without a source is refused" \
	eval '[ $rc -ne 0 ] && has "$out" "absolute source"'
out=$("$pier" run n1 --ulimit bogus=1 "$image" true 2>&1); rc=$?
check "an unknown ulimit is refused, naming the known ones" \
	eval '[ $rc -ne 0 ] && has "$out" "nofile"'
out=$("$pier" run n1 --log-driver nope "$image" true 2>&1); rc=$?
check "an unknown log driver is refused, naming the drivers" \
	eval '[ $rc -ne 0 ] && has "$out" "json-file"'
out=$("$pier" run n1 --device relative "$image" true 2>&1); rc=$?
check "a device that is not a path is refused" \
	eval '[ $rc -ne 0 ] && has "$out" "params.devices\[0\]"'
out=$("$pier" run n1 --health-cmd true --no-healthcheck "$image" true 2>&1)
rc=$?
check "--no-healthcheck with --health-cmd is refused" [ $rc -ne 0 ]

# pier update's limits as docker update's.
upd=(--memory 64m --memory-swap 128m --pids-limit 60 --cpu-shares 512
	--cpuset-cpus 0)
out=$("$pier" update "${upd[@]}" "n1/$tag-p" 2>&1); rc=$?
check "pier update --memory-swap --pids-limit --cpu-shares --cpuset-cpus" \
	[ $rc -eq 0 ]
docker update "${upd[@]}" "$tag-d" >/dev/null
for f in Memory MemorySwap PidsLimit CpuShares CpusetCpus; do
	a=$(docker inspect -f "{{json .HostConfig.$f}}" "$tag-p")
	b=$(docker inspect -f "{{json .HostConfig.$f}}" "$tag-d")
	out="pier: $a docker: $b"
	check "update: .HostConfig.$f as docker update sets it" [ "$a" = "$b" ]
done
out=$("$pier" update --cpu-shares 1 "n1/$tag-p" 2>&1); rc=$?
check "update --cpu-shares 1 is refused before anything is sent" \
	[ $rc -eq 2 ]

e2e_done
