#!/usr/bin/env bash
# End to end against the real engine: `pier volume backup` on one node
# and `pier volume restore` on another (a second pierd on the same
# engine) give a volume holding the same files, modes, links and bytes
# (sha256), with nothing run: the helper containers are created, never
# started, and gone afterwards. A restore into a volume that is not
# empty is refused unless --force; one into a missing volume creates
# it; a backup is never written to a terminal. `pier run any` puts a
# container on one of the two nodes and says which and why. Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init backup
e2e_need_docker
image=${PIER_TEST_IMAGE:-pier-test/busybox:latest}
tag=pe2ebk$$
v1=$tag-v1 v2=$tag-v2 v3=$tag-v3

cleanup_more() {
	docker ps -aq --filter "label=pier.test.case=$tag" |
		xargs -r docker rm -f >/dev/null 2>&1
	docker volume rm -f "$v1" "$v2" "$v3" >/dev/null 2>&1
}

# in_vol VOLUME CMD: runs a shell command with the volume at /v.
in_vol() {
	docker run --rm --network none --label pier.test=1 \
		--label "pier.test.case=$tag" -v "$1:/v" "$image" sh -c "$2"
}
# listing VOLUME: names, modes, links and hashes of a volume's files.
listing() {
	in_vol "$1" 'cd /v && ls -lnAR --full-time . | sed "s/^\([^ ]*\) *[0-9]* /\1 /" &&
		find . -type f | sort | xargs sha256sum'
}
# helpers: pier's helper containers still there.
helpers() { docker ps -aq --filter label=pier.helper | wc -l; }
# helpers_gone: back to the count before (the node removes them after
# the stream's end, which the client may see first).
helpers_gone() { [ "$(helpers)" = "$before" ]; }

port1=$(free_port)
check "node 1 starts" start_node "$tmp/s1" "$port1" "$dockerhost" "$tmp/l1"
port2=$(free_port)
check "node 2 starts on the same engine" \
	start_node "$tmp/s2" "$port2" "$dockerhost" "$tmp/l2"
export PIER_CONFIG_DIR=$tmp/client
"$pier" join "$("$pierd" key show --state-dir "$tmp/s1" 2>/dev/null)" \
	--name n1 >/dev/null 2>&1
"$pier" join "$("$pierd" key show --state-dir "$tmp/s2" 2>/dev/null)" \
	--name n2 >/dev/null 2>&1

docker volume create "$v1" >/dev/null
in_vol "$v1" 'mkdir -p /v/d/e && echo hello >/v/d/f && chmod 751 /v/d/f &&
	ln -s d/f /v/link && head -c 3000000 /dev/urandom >/v/big &&
	chmod 600 /v/big && mkdir /v/empty && chmod 1777 /v/empty'
want=$(listing "$v1")
before=$(helpers)

out=$("$pier" volume backup "n1/$v1" -o "$tmp/b.tar" 2>&1); rc=$?
check "volume backup n1/V -o FILE" eval '[ $rc -eq 0 ] && [ -s "$tmp/b.tar" ]'
check "the backup is a tar of the volume's contents" \
	eval 'tar tf "$tmp/b.tar" | grep -qx "./d/f"'
out=$("$pier" volume restore "n2/$v2" "$tmp/b.tar" 2>&1); rc=$?
check "volume restore n2/V2 FILE into a new volume" [ $rc -eq 0 ]
got=$(listing "$v2")
out=$(diff <(echo "$want") <(echo "$got"))
check "the restored volume holds the same files (modes, links, sha256)" \
	[ "$want" = "$got" ]
check "no helper container is left" wait_for 10 helpers_gone

out=$("$pier" volume restore "n2/$v2" "$tmp/b.tar" 2>&1); rc=$?
check "a restore into a volume that is not empty is refused" \
	eval '[ $rc -ne 0 ] && has "$out" "not empty"'
in_vol "$v2" 'rm -f /v/d/f'
out=$("$pier" volume restore -f "n2/$v2" "$tmp/b.tar" 2>&1); rc=$?
check "--force restores into it" \
	eval '[ $rc -eq 0 ] && [ "$(listing "$v2")" = "$want" ]'
docker volume create "$v3" >/dev/null
out=$("$pier" volume backup "n1/$v1" | "$pier" volume restore "n2/$v3" - 2>&1)
rc=$?
check "backup | restore - into an empty volume, through pipes" \
	eval '[ $rc -eq 0 ] && [ "$(listing "$v3")" = "$want" ]'
out=$("$pier" volume backup "n1/$tag-none" -o "$tmp/x.tar" 2>&1); rc=$?
check "a backup of a missing volume is refused" \
	eval '[ $rc -ne 0 ] && [ ! -e "$tmp/x.tar" ] && [ ! -e "$tmp/x.tar.partial" ]'
out=$(script -qc "$pier volume backup n1/$v1" /dev/null 2>&1); rc=$?
check "a backup is not written to a terminal" has "$out" "refusing to write"
check "still no helper container left" wait_for 10 helpers_gone

# pier run any: one of the two nodes takes it, and says which and why.
out=$("$pier" run any --network none --label pier.test=1 \
	--label "pier.test.case=$tag" --name "$tag-any" "$image" sleep 100 \
	2>"$tmp/any.err"); rc=$?
why=$(cat "$tmp/any.err")
check "run any: created, the choice and why on stderr" \
	eval '[ $rc -eq 0 ] && [ "$(docker inspect -f "{{.Id}}" "$tag-any")" = "$out" ] &&
	has "$why" "on n[12]: the most free memory" && has "$why" "CPUs idle, of 2 nodes"'

e2e_done
