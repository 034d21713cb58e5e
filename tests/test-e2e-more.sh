#!/usr/bin/env bash
# End to end against the real engine: `pier diff`, `pier wait`, `pier
# commit` and `pier port` print what docker diff, docker wait, docker
# commit and docker port print for the same containers; so do `pier
# image history -q`, `pier image tag`, `pier container prune -f` and
# `pier system df` (its rows and counts); `pier dup -p -v -l` makes a
# copy of a container with a published port that starts beside it.
# Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init more
e2e_need_docker
image=${PIER_TEST_IMAGE:-pier-test/busybox:latest}
tag=pe2emo$$

cleanup_more() {
	docker ps -aq --filter "label=pier.test.case=$tag" |
		xargs -r docker rm -f >/dev/null 2>&1
	docker rmi -f "$tag-img:v1" "$tag-img:v2" >/dev/null 2>&1
	docker network rm "$tag-net" >/dev/null 2>&1
}
lbl=(--label pier.test=1 --label "pier.test.case=$tag")

port=$(free_port)
check "pierd starts" start_node "$tmp/s" "$port" "$dockerhost" "$tmp/l"
export PIER_CONFIG_DIR=$tmp/client
"$pier" join "$("$pierd" key show --state-dir "$tmp/s" 2>/dev/null)" \
	--name n1 >/dev/null 2>&1

docker run -d --name "$tag-a" --network none "${lbl[@]}" "$image" \
	sh -c 'mkdir -p /srv/new && echo x >/srv/new/f && rm -f /bin/true;
	sleep 1000' >/dev/null
wait_for 10 eval 'docker exec "$tag-a" test -f /srv/new/f'
a=$("$pier" diff "n1/$tag-a" 2>&1 | sort); b=$(docker diff "$tag-a" | sort)
out=$(diff <(echo "$b") <(echo "$a"))
check "pier diff prints what docker diff prints" \
	eval '[ -n "$a" ] && [ "$a" = "$b" ]'

docker run -d --name "$tag-w" --network none "${lbl[@]}" "$image" \
	sh -c 'sleep 2; exit 3' >/dev/null
out=$(timeout 30 "$pier" wait "n1/$tag-w" 2>&1); rc=$?
check "pier wait prints the exit code once it stops" \
	eval '[ $rc -eq 0 ] && [ "$out" = 3 ] && [ "$(docker wait "$tag-w")" = 3 ]'

out=$("$pier" commit -m "made by pier" "n1/$tag-a" "$tag-img:v1" 2>&1)
rc=$?
check "pier commit prints the new image's id" \
	eval '[ $rc -eq 0 ] && [ "$out" = "$(docker image inspect -f "{{.Id}}" "$tag-img:v1")" ]'
out=$(docker image inspect -f '{{.Comment}}' "$tag-img:v1")
check "with its message" [ "$out" = "made by pier" ]

docker network create "$tag-net" "${lbl[@]}" >/dev/null
docker run -d --name "$tag-p" --network "$tag-net" "${lbl[@]}" \
	-p 127.0.0.1::80 -p 127.0.0.1::53/udp "$image" sleep 1000 >/dev/null
a=$("$pier" port "n1/$tag-p" 2>&1 | sort); b=$(docker port "$tag-p" | sort)
out=$(diff <(echo "$b") <(echo "$a"))
check "pier port prints what docker port prints" \
	eval '[ -n "$a" ] && [ "$a" = "$b" ]'
a=$("$pier" port "n1/$tag-p" 53/udp 2>&1); b=$(docker port "$tag-p" 53/udp)
out="pier: $a docker: $b"
check "pier port C 53/udp as docker port" [ "$a" = "$b" ]
out=$("$pier" port "n1/$tag-p" 81 2>&1); rc=$?
check "a port not published is an error" \
	eval '[ $rc -ne 0 ] && has "$out" "no public port"'

a=$("$pier" image history -q n1 "$image" 2>&1)
b=$(docker image history -q "$image")
out=$(diff <(echo "$b") <(echo "$a"))
check "pier image history -q as docker image history -q" [ "$a" = "$b" ]
a=$("$pier" image history n1 "$image" 2>&1 | head -1)
check "pier image history's header is docker's" \
	has "$a" "IMAGE          CREATED"
out=$("$pier" image tag n1 "$tag-img:v1" "$tag-img:v2" 2>&1); rc=$?
check "pier image tag" eval '[ $rc -eq 0 ] && [ -z "$out" ] &&
	[ "$(docker image inspect -f "{{.Id}}" "$tag-img:v2")" = \
	"$(docker image inspect -f "{{.Id}}" "$tag-img:v1")" ]'

docker create --name "$tag-s" "${lbl[@]}" --label prune=me "$image" \
	true >/dev/null
id=$(docker inspect -f '{{.Id}}' "$tag-s")
out=$("$pier" container prune n1 -f --filter label=prune=me 2>&1); rc=$?
check "pier container prune -f --filter: Deleted Containers, the id" \
	eval '[ $rc -eq 0 ] && [ "$out" = "$(printf "Deleted Containers:\n%s\n\nTotal reclaimed space: 0B" "$id")" ]'
check "only the labelled stopped container went" \
	eval '! docker inspect "$tag-s" >/dev/null 2>&1 &&
	docker inspect "$tag-w" >/dev/null 2>&1'

a=$("$pier" system df n1 2>&1 | awk '{print $1, $2}')
b=$(docker system df | awk '{print $1, $2}')
out=$(diff <(echo "$b") <(echo "$a"))
check "pier system df: docker's rows and totals" [ "$a" = "$b" ]

hp=$(free_port)
docker run -d --name "$tag-src" --network "$tag-net" "${lbl[@]}" \
	-p "127.0.0.1:$hp:80" "$image" sleep 1000 >/dev/null
out=$("$pier" dup "n1/$tag-src" --name "$tag-cp" -p 127.0.0.1::80 \
	-v "$tmp:/data:ro" -l pier.test.case="$tag" -l extra=1 2>&1); rc=$?
running() { [ "$(docker inspect -f '{{.State.Running}}' "$tag-cp")" = true ]; }
check "dup -p of a container with a published port starts beside it" \
	eval '[ $rc -eq 0 ] && wait_for 10 running'
out=$(docker inspect -f '{{json .HostConfig.PortBindings}} {{json .HostConfig.Binds}} {{json .Config.Labels}}' "$tag-cp")
check "with the new port, the mount and the labels" \
	eval '! has "$out" "\"$hp\"" && has "$out" "$tmp:/data:ro" &&
	has "$out" "\"extra\":\"1\""'
out=$("$pier" dup "n1/$tag-src" -v relative:x 2>&1); rc=$?
check "dup -v with a relative target is refused before anything" \
	eval '[ $rc -ne 0 ] && has "$out" "must be absolute"'

repo=${image%:*}
a=$("$pier" images n1 --digests 2>&1 | awk -v r="$repo" 'NR == 1 || $1 == r {print $1, $2, $3, $4}')
b=$(docker images --digests | awk -v r="$repo" 'NR == 1 || $1 == r {print $1, $2, $3, $4}')
out=$(diff <(echo "$b") <(echo "$a"))
check "pier images --digests: docker's header and DIGEST column" \
	eval '[ -n "$a" ] && [ "$a" = "$b" ]'

e2e_done
