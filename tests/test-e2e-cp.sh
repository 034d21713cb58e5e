#!/usr/bin/env bash
# End to end against the real engine: `pier cp` both ways as `docker cp`.
# A tree with a 200 MiB file, symbolic links (relative, absolute,
# dangling), modes (0751, 0600, 04755, 01777) and an empty directory goes
# into a container with pier and comes back with docker cp, then goes out
# with pier beside docker cp's copy: both must list the same names,
# types, modes, link targets and contents (sha256). docker cp's naming
# rules (into a directory, onto a new name, SRC/.), `-` both ways, and
# the refusals (a directory onto a file, a missing directory, a path
# that is not absolute) are checked too. The time of each 200 MiB copy
# against docker cp's and the peak memory (VmHWM) of pier and of pierd
# are printed as TAP comments. Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init cp
e2e_need_docker
image=${PIER_TEST_IMAGE:-pier-test/busybox:latest}
tag=pe2ecp$$
ctr=$tag-c

cleanup_more() {
	docker ps -aq --filter "label=pier.test.case=$tag" |
		xargs -r docker rm -f >/dev/null 2>&1
}

# tree DIR: names, types, modes, link targets and sizes, then hashes.
tree() {
	(cd "$1" && find . -mindepth 1 -printf '%P %y %m %l %s\n' |
		sed 's/ \([0-9]*\)$/ =\1/; s/ d \([0-7]*\)  =[0-9]*$/ d \1/' |
		sort && find . -type f -print0 | sort -z |
		xargs -0 -r sha256sum)
}
# ms: milliseconds since the epoch.
ms() { echo $(($(date +%s%N) / 1000000)); }

port=$(free_port)
log=$tmp/pierd.log
check "pierd starts with the real engine" \
	start_node "$tmp/state" "$port" "$dockerhost" "$log"
npid=${pids[0]}
export PIER_CONFIG_DIR=$tmp/client
key=$("$pierd" key show --state-dir "$tmp/state" 2>/dev/null)
"$pier" join "$key" --name n1 >/dev/null 2>&1
docker run -d --name "$ctr" --label pier.test=1 --label "pier.test.case=$tag" \
	--network none "$image" sleep 100000 >/dev/null

src=$tmp/src/t
mkdir -p "$src/sub/deeper" "$src/empty" "$src/sticky"
echo hello >"$src/sub/f"
printf 'x%.0s' {1..5000} >"$src/sub/deeper/g"
chmod 0751 "$src/sub/f"
chmod 0600 "$src/sub/deeper/g"
cp "$src/sub/f" "$src/suid" && chmod 04755 "$src/suid"
chmod 01777 "$src/sticky"
ln -s f "$src/sub/rel"
ln -s /etc/hostname "$src/abs"
ln -s nowhere "$src/dangling"
head -c 209715200 /dev/urandom >"$src/big"
want=$(tree "$src")

# 1. In with pier, out with docker: the same tree.
t0=$(ms)
out=$(timeout 120 "$pier" cp -q "$src" "n1/$ctr:/tmp/" 2>&1); rc=$?
pier_in=$(($(ms) - t0))
check "pier cp DIR n1/C:/tmp/ copies the tree in" [ $rc -eq 0 ]
mkdir -p "$tmp/back"
docker cp -q "$ctr:/tmp/t" "$tmp/back/" >/dev/null 2>&1
got=$(tree "$tmp/back/t")
out=$(diff <(echo "$want") <(echo "$got"))
check "docker cp brings back the same names, modes, links and bytes" \
	[ "$want" = "$got" ]
t0=$(ms)
docker cp -q "$src" "$ctr:/tmp/viadocker" >/dev/null 2>&1
docker_in=$(($(ms) - t0))

# 2. Out with pier beside docker cp's own copy.
mkdir -p "$tmp/p" "$tmp/d"
rss_before=$(awk '/VmHWM/ {print $2}' /proc/"$npid"/status)
t0=$(ms)
/usr/bin/time -f %M -o "$tmp/rss" timeout 120 "$pier" cp -q \
	"n1/$ctr:/tmp/t" "$tmp/p/" >"$tmp/out" 2>&1; rc=$?
pier_out=$(($(ms) - t0))
out=$(cat "$tmp/out")
check "pier cp n1/C:/tmp/t DIR/ copies the tree out" [ $rc -eq 0 ]
t0=$(ms)
docker cp -q "$ctr:/tmp/t" "$tmp/d/" >/dev/null 2>&1
docker_out=$(($(ms) - t0))
a=$(tree "$tmp/p/t"); b=$(tree "$tmp/d/t")
out=$(diff <(echo "$b") <(echo "$a"))
check "pier cp out equals docker cp out (names, modes, links, bytes)" \
	[ "$a" = "$b" ]
check "and equals the tree that went in" [ "$a" = "$want" ]
echo "# 200 MiB tree in: pier ${pier_in} ms, docker cp ${docker_in} ms"
echo "# 200 MiB tree out: pier ${pier_out} ms, docker cp ${docker_out} ms"
echo "# peak RSS: pier $(cat "$tmp/rss") KiB (out); pierd VmHWM" \
	"$(awk '/VmHWM/ {print $2}' /proc/"$npid"/status) KiB" \
	"(was $rss_before KiB before the copy out)"

# 3. Naming as docker cp: onto a new name, SRC/., a file onto a file.
"$pier" cp -q "n1/$ctr:/tmp/t/sub" "$tmp/renamed" >/dev/null 2>&1
docker cp -q "$ctr:/tmp/t/sub" "$tmp/drenamed" >/dev/null 2>&1
check "a directory onto a new name becomes it, as docker cp" \
	[ "$(tree "$tmp/renamed")" = "$(tree "$tmp/drenamed")" ]
mkdir -p "$tmp/c1" "$tmp/c2"
"$pier" cp -q "n1/$ctr:/tmp/t/sub/." "$tmp/c1" >/dev/null 2>&1
docker cp -q "$ctr:/tmp/t/sub/." "$tmp/c2" >/dev/null 2>&1
check "SRC/. copies a directory's contents, as docker cp" \
	[ "$(tree "$tmp/c1")" = "$(tree "$tmp/c2")" ]
"$pier" cp -q "n1/$ctr:/tmp/t/sub/f" "$tmp/onefile" >/dev/null 2>&1
check "a file onto a new name" \
	eval '[ "$(cat "$tmp/onefile")" = hello ] &&
	[ "$(stat -c %a "$tmp/onefile")" = 751 ]'
out=$("$pier" cp -q "$tmp/onefile" "n1/$ctr:/tmp/renamedfile" 2>&1)
check "a file into the container onto a new name" \

# 4. '-': a tar on stdout and from stdin, as docker cp.
a=$("$pier" cp "n1/$ctr:/tmp/t/sub" - | tar tvf - | awk '{print $1, $6}')
b=$(docker cp "$ctr:/tmp/t/sub" - | tar tvf - | awk '{print $1, $6}')
check "pier cp n1/C:PATH - writes the same tar entries as docker cp" \
	eval '[ -n "$a" ] && [ "$a" = "$b" ]'
out=$(tar cf - -C "$tmp/src/t/sub" . | "$pier" cp - "n1/$ctr:/tmp/" 2>&1)
check "tar | pier cp - n1/C:DIR unpacks in the container" \
	[ "$(docker exec "$ctr" cat /tmp/f)" = hello ]

# 5. Refusals.
out=$("$pier" cp "n1/$ctr:/tmp/t" "$tmp/onefile" 2>&1); rc=$?
check "a directory onto a file is refused" \
	eval '[ $rc -ne 0 ] && has "$out" "cannot copy a directory to a file"'
out=$("$pier" cp "n1/$ctr:/nonexistent" "$tmp/x" 2>&1); rc=$?
check "a missing path in the container is refused" \
	eval '[ $rc -ne 0 ] && has "$out" "no such file or directory"'
out=$("$pier" cp "n1/$ctr:tmp/t" "$tmp/x" 2>&1); rc=$?
check "a relative path in the container is refused" \
	eval '[ $rc -ne 0 ] && has "$out" "must be absolute"'
out=$("$pier" cp "$tmp/src/t/sub" "n1/$ctr:/no/such/dir/" 2>&1); rc=$?
check "into a missing directory is refused" [ $rc -ne 0 ]
out=$("$pier" cp --max-size 1m "n1/$ctr:/tmp/t" "$tmp/bounded" 2>&1); rc=$?
check "--max-size stops a tar claiming more" \
	eval '[ $rc -ne 0 ] && has "$out" "more than 1048576 bytes"'
out=$("$pier" cp --max-entries 3 "n1/$ctr:/tmp/t" "$tmp/bounded2" 2>&1)
rc=$?
check "--max-entries stops a tar of more entries" \
	eval '[ $rc -ne 0 ] && has "$out" "more than 3 entries"'

e2e_done
