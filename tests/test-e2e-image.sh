#!/usr/bin/env bash
# The container image, as a user runs it: tools/build-image builds it
# (labelled pier-test=image, from $PIER_BUILD_ROOT/deb), it runs as the
# README says (root in the container, every capability dropped but
# SETUID and SETGID, which the terminal worker needs to become nobody,
# no new privileges, the engine's socket and a named volume mounted,
# host network) on a free loopback port; `docker logs` shows the join
# key, `pier join` takes it, `pier ps` lists the engine's containers, the
# image's docker CLI answers through `pier docker`, and a new container
# on the same volume (an upgrade) keeps the node's keys. The container,
# volume and image are removed at the end.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init image
e2e_need_docker
src=${PIER_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
for t in meson dpkg-deb dpkg-shlibdeps dpkg-buildflags; do
	if ! command -v "$t" >/dev/null; then
		echo "1..0 # SKIP $t is not installed (apt-get install dpkg-dev)"
		exit 0
	fi
done
img=pier-test/pierd:$$
ctr=pier-e2e-image-$$
vol=pier-e2e-image-$$
cfg=$tmp/client
port=$(free_port)
cleanup_more() {
	docker rm -f "$ctr" >/dev/null 2>&1
	docker volume rm -f "$vol" >/dev/null 2>&1
	docker rmi -f "$img" >/dev/null 2>&1
}

if "$src/tools/build-image" --tag "$img" --label pier-test=image \
    --out "$build/deb" >"$tmp/build.log" 2>&1; then
	ok "tools/build-image builds $img ($(docker image inspect -f '{{.Size}}' "$img") bytes)"
else
	not_ok "tools/build-image builds an image" "$(tail -20 "$tmp/build.log")"
	e2e_done
fi
out=$(di '{{json .Config.Entrypoint}} {{json .Config.Volumes}} {{.Config.User}}' "$img")
check "ENTRYPOINT pierd, VOLUME /var/lib/pier, no USER (root: the socket is root's)" \
	[ "$out" = '["/usr/sbin/pierd"] {"/var/lib/pier":{}} ' ]

docker volume create --label pier-test=image "$vol" >/dev/null
# run: the README's command, on a port of this test's own.
run() {
	docker run -d --name "$ctr" --label pier-test=image \
		--restart unless-stopped \
		--cap-drop ALL --cap-add SETUID --cap-add SETGID \
		--security-opt no-new-privileges \
		-v /var/run/docker.sock:/var/run/docker.sock \
		-v "$vol:/var/lib/pier" --network host "$img" \
		--listen "127.0.0.1:$port" --no-port-mapping --no-lan \
		>/dev/null 2>"$tmp/run.err"
}
logs_have() { docker logs "$ctr" 2>&1 | grep -q -- "$1"; }
run
out=$(cat "$tmp/run.err")
check "docker run -d ... pier/pierd starts" wait_for 20 logs_have ' ready: '
key=$(docker logs "$ctr" 2>&1 | sed -n 's/.*join with: pier join //p')
out=$(docker logs "$ctr" 2>&1)
check "docker logs shows the join key line" has "$key" "@127.0.0.1:$port"

out=$(docker exec "$ctr" pierd key show 2>&1)
check "docker exec pierd key show prints the same key" [ "$out" = "$key" ]

cpid=$(di '{{.State.Pid}}' "$ctr")
out=$(grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs):' "/proc/$cpid/status" | tr -s '\t' ' ')
check "pierd runs as root with CapEff SETUID|SETGID only, no new privileges" eval \
	'has "$out" "Uid: 0 0 0 0" && has "$out" "CapEff: 00000000000000c0" &&
	has "$out" "CapBnd: 00000000000000c0" && has "$out" "NoNewPrivs: 1"'

out=$(P join "$key" 2>&1)
check "pier join with the key from docker logs" has "$out" "joined"
out=$(P ps 2>&1)
check "pier ps lists the engine's containers, pierd's own among them" has "$out" "$ctr"
out=$(P docker -- version --format '{{.Client.Version}}' </dev/null 2>&1)
if docker image inspect "$img" >/dev/null 2>&1 &&
    [ -n "$(docker run --rm --entrypoint /usr/bin/docker "$img" --version 2>/dev/null)" ]; then
	check "pier docker runs the image's docker CLI: $out" [ -n "$out" ]
else
	skip "pier docker runs the image's docker CLI" "the image has no docker CLI"
fi

mem=$(docker stats --no-stream --format '{{.MemUsage}}' "$ctr" | cut -d/ -f1)
echo "# idle memory of the pierd container: $mem"
fp=$(docker logs "$ctr" 2>&1 | sed -n 's/.*node key \([a-z0-9-]*\),.*/\1/p' | head -n1)
docker rm -f "$ctr" >/dev/null
run
check "a new container on the same volume (an upgrade) starts" wait_for 20 logs_have ' ready: '
out=$(docker logs "$ctr" 2>&1)
check "... with the same node key and no new admin key" eval \
	'has "$out" "node key $fp" && ! has "$out" "join with:"'
out=$(P ps 2>&1)
check "... and the joined client still gets pier ps" has "$out" "$ctr"
e2e_done
