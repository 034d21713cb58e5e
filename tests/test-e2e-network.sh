#!/usr/bin/env bash
# End to end against the real engine: `pier network create|connect|
# disconnect|rm|prune` as docker network's. A network made by pier with a
# subnet, a gateway, --internal and a label has the same driver, IPAM,
# internal flag and labels in docker network inspect as one made by
# docker with the same flags; connect puts a container on it with its
# alias, disconnect takes it off; rm prints the name; prune -f with a
# label filter removes only the labelled unused networks and prints them
# as docker does. Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init network
e2e_need_docker
image=${PIER_TEST_IMAGE:-pier-test/busybox:latest}
tag=pe2ent$$

cleanup_more() {
	docker ps -aq --filter "label=pier.test.case=$tag" |
		xargs -r docker rm -f >/dev/null 2>&1
	docker network ls -q --filter "label=pier.test.case=$tag" |
		xargs -r docker network rm >/dev/null 2>&1
}

port=$(free_port)
check "pierd starts" start_node "$tmp/s" "$port" "$dockerhost" "$tmp/l"
export PIER_CONFIG_DIR=$tmp/client
"$pier" join "$("$pierd" key show --state-dir "$tmp/s" 2>/dev/null)" \
	--name n1 >/dev/null 2>&1
docker run -d --name "$tag-c" --network none --label pier.test=1 \
	--label "pier.test.case=$tag" "$image" sleep 1000 >/dev/null

sub=10.$((RANDOM % 200 + 20)).$((RANDOM % 250)).0/24
gw=${sub%0/24}1
sub2=10.$((RANDOM % 200 + 20)).$((RANDOM % 250)).0/24
flags=(--internal --label "pier.test.case=$tag")
out=$("$pier" network create n1 "$tag-p" --subnet "$sub" --gateway "$gw" \
	"${flags[@]}" 2>&1); rc=$?
check "pier network create prints the id" \
	eval '[ $rc -eq 0 ] && [ "$out" = "$(docker network inspect -f "{{.Id}}" "$tag-p")" ]'
docker network create "$tag-d" --subnet "$sub2" --gateway "${sub2%0/24}1" \
	"${flags[@]}" >/dev/null
for f in .Driver .Internal .Labels .Scope .EnableIPv6 .Attachable; do
	a=$(docker network inspect -f "{{json $f}}" "$tag-p")
	b=$(docker network inspect -f "{{json $f}}" "$tag-d")
	out="pier: $a docker: $b"
	check "$f as docker network create sets it" [ "$a" = "$b" ]
done
out=$(docker network inspect -f '{{json .IPAM.Config}}' "$tag-p")
check "the subnet and gateway" eval 'has "$out" "$sub" && has "$out" "$gw"'

docker network disconnect "$tag-c" none 2>/dev/null
docker network disconnect none "$tag-c" >/dev/null 2>&1
out=$("$pier" network connect n1 "$tag-p" "$tag-c" --alias db 2>&1); rc=$?
check "pier network connect prints nothing" \
	eval '[ $rc -eq 0 ] && [ -z "$out" ]'
out=$(docker inspect -f "{{json (index .NetworkSettings.Networks \"$tag-p\").Aliases}}" "$tag-c")
check "the container is on it with its alias" has "$out" '"db"'
out=$("$pier" network disconnect n1 "$tag-p" "$tag-c" 2>&1); rc=$?
check "pier network disconnect" eval '[ $rc -eq 0 ] && [ -z "$out" ]'
out=$(docker inspect -f '{{json .NetworkSettings.Networks}}' "$tag-c")
check "and it is off" eval '! has "$out" "$tag-p"'

out=$("$pier" network rm n1 "$tag-d" 2>&1); rc=$?
check "pier network rm prints the name" \
	eval '[ $rc -eq 0 ] && [ "$out" = "$tag-d" ]'
out=$("$pier" network rm n1 "$tag-nonexistent" 2>&1); rc=$?
check "rm of a missing network fails" [ $rc -ne 0 ]
docker network create "$tag-q" --label "pier.test.case=$tag" \
	--label prune=yes >/dev/null
out=$("$pier" network prune n1 -f --filter "label=prune=yes" 2>&1); rc=$?
check "prune -f --filter label: Deleted Networks and the name" \
	eval '[ $rc -eq 0 ] && [ "$out" = "$(printf "Deleted Networks:\n%s" "$tag-q")" ]'
has_net() { docker network inspect "$1" >/dev/null 2>&1; }
check "the unlabelled network stays" has_net "$tag-p"
out=$("$pier" network create n1 "$tag-x" --gateway 10.1.1.1 2>&1); rc=$?
check "a gateway without a subnet is refused" \
	eval '[ $rc -ne 0 ] && has "$out" "needs a subnet"'

e2e_done
