#!/usr/bin/env bash
# End to end against the real engine: a pierd on 127.0.0.1 and pier
# joined to it as admin (and as a viewer). images, rmi, image inspect and
# image prune (dangling and -a, held to this test's label, with and
# without confirmation) checked against `docker images`; volume create,
# ls, rm and prune against `docker volume ls`; networks against `docker
# network ls`; templates and deploy from tests/fixtures/templates-deploy.json
# (ports, volumes, env defaults, presets and selects, labels, restart
# policy) checked with `docker inspect`; a required variable missing, a
# stack template on a host pier does not fetch from, an ambiguous name and an image no node has. Everything
# this test makes carries its pid in a name or label and is removed.
# Prints TAP. Builds nothing: the programs come from $PIER_BUILD_ROOT.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init images
src=$(cd "$(dirname "$0")/.." && pwd)
fixture=$src/tests/fixtures/templates-deploy.json
id=$$
repo=pier-test/w4-$id
lab=pier.test.w4=$id

# cleanup_more: what this test made in the engine.
cleanup_more() {
	docker ps -aq --filter "label=pier.test.w4.run=$id" |
		xargs -r docker rm -f -v >/dev/null 2>&1
	docker images -q --filter "label=$lab" | xargs -r docker rmi -f >/dev/null 2>&1
	docker images --format '{{.Repository}}:{{.Tag}}' "$repo" |
		xargs -r docker rmi >/dev/null 2>&1
	docker volume ls -q --filter "name=pier-test-w4-$id" |
		xargs -r docker volume rm -f >/dev/null 2>&1
	docker network rm "pier-test-w4-$id" >/dev/null 2>&1
}

# same CMD1 CMD2: both print the same set of lines (retried: other tests
# may change the engine's objects meanwhile).
same() {
	local a b
	for _ in 1 2 3 4 5; do
		a=$(eval "$1" | sort -u)
		b=$(eval "$2" | sort -u)
		[ "$a" = "$b" ] && return 0
		sleep 0.3
	done
	out="pier: $(tr '\n' ' ' <<<"$a") docker: $(tr '\n' ' ' <<<"$b")"
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
check "pierd starts with the real engine" \
	start_node "$state" "$port" "$dockerhost" "$log"
admin=$tmp/admin
viewer=$tmp/viewer
key=$("$pierd" key show --state-dir "$state" 2>/dev/null)
P join "$key" --name n1 >/dev/null 2>&1
vkey=$(P key create n1 --name viewer1 --role viewer 2>/dev/null)
PIER_CONFIG_DIR=$viewer "$pier" join "$vkey" --name n1 >/dev/null 2>&1

# Images.
docker tag pier-test/busybox:latest "$repo:a"
docker tag pier-test/busybox:latest "$repo:b"
bid=$(docker image inspect --format '{{.Id}}' pier-test/busybox:latest)
short=${bid#sha256:}; short=${short:0:12}
out=$(P images n1 2>&1); rc=$?
check "pier images shows each tag as docker does" \
	eval '[ $rc -eq 0 ] && has "$out" "^REPOSITORY  *TAG  *IMAGE ID  *CREATED  *SIZE" &&
	has "$out" "^$repo  *a  *$short  .* ago  *1\.[0-9]*MB" &&
	has "$out" "^$repo  *b  *$short "'
check "pier images --json lists what docker images lists" \
	same 'P images n1 --json >$tmp/img.json && jget $tmp/img.json "\"\\n\".join(r[\"repository\"] + \":\" + r[\"tag\"] for r in j)"' \
	"docker images --format '{{.Repository}}:{{.Tag}}'"
check "pier images -q prints the ids docker images -q prints" \
	same 'P images n1 -q' 'docker images -q'
out=$(PIER_CONFIG_DIR=$viewer "$pier" images 2>&1); rc=$?
check "a viewer lists images" eval '[ $rc -eq 0 ] && has "$out" "^$repo  *a "'
out=$(P image inspect n1 "$repo:b" 2>&1); rc=$?
check "pier image inspect gives the engine's object" \
	eval '[ $rc -eq 0 ] && has "$out" "\"Id\": \"$bid\""'
out=$(PIER_CONFIG_DIR=$viewer "$pier" rmi n1 "$repo:a" 2>&1); rc=$?
check "a viewer may not remove images" \
	eval '[ $rc -eq 1 ] && has "$out" "admin" && docker image inspect $repo:a >/dev/null 2>&1'
out=$(P rmi n1 "$repo:a" 2>&1); rc=$?
check "pier rmi untags, the other tags and busybox stay" \
	eval '[ $rc -eq 0 ] && has "$out" "^Untagged: $repo:a$" &&
	! docker image inspect $repo:a >/dev/null 2>&1 &&
	docker image inspect $repo:b >/dev/null 2>&1 &&
	docker image inspect pier-test/busybox:latest >/dev/null 2>&1'
out=$(P rmi n1 "$repo:nosuch" "$repo:b" 2>&1); rc=$?
check "pier rmi goes on past a missing image and exits 1" \
	eval '[ $rc -eq 1 ] && has "$out" "No such image: $repo:nosuch" &&
	has "$out" "^Untagged: $repo:b$" && ! docker image inspect $repo:b >/dev/null 2>&1'

# Prune, held to this test's label so nobody else's images go.
mkdir -p "$tmp/empty"
dangling=$(tar -C "$tmp/empty" -c . | docker import --change "LABEL $lab" - 2>/dev/null)
out=$(echo n | P image prune n1 --filter "label=$lab" 2>&1); rc=$?
check "image prune asks first and a no keeps the image" \
	eval '[ $rc -eq 1 ] && has "$out" "WARNING! This will remove all dangling images" &&
	has "$out" "Nothing removed" && docker image inspect $dangling >/dev/null 2>&1'
out=$(echo y | P image prune n1 --filter "label=$lab" 2>&1); rc=$?
check "image prune after a yes removes the dangling image" \
	eval '[ $rc -eq 0 ] && has "$out" "^deleted: $dangling" &&
	has "$out" "Total reclaimed space: " && ! docker image inspect $dangling >/dev/null 2>&1'
tagged=$(tar -C "$tmp/empty" -c . | docker import --change "LABEL $lab" - "$repo:prune" 2>/dev/null)
out=$(P image prune n1 -f --filter "label=$lab" 2>&1); rc=$?
check "image prune without -a keeps a tagged unused image" \
	eval '[ $rc -eq 0 ] && docker image inspect $repo:prune >/dev/null 2>&1'
out=$(P image prune n1 -a -f --filter "label=$lab" 2>&1); rc=$?
check "image prune -a -f removes it without asking" \
	eval '[ $rc -eq 0 ] && has "$out" "^untagged: $repo:prune" &&
	has "$out" "^deleted: $tagged" && ! docker image inspect $tagged >/dev/null 2>&1 &&
	docker image inspect pier-test/busybox:latest >/dev/null 2>&1'
out=$(P image prune n1 -f --filter "bogus=1" 2>&1); rc=$?
check "an unsupported prune filter is a usage error" \
	eval '[ $rc -eq 2 ] && has "$out" "unsupported filter"'

# Volumes.
va=pier-test-w4-$id-a
vb=pier-test-w4-$id-b
out=$(P volume create n1 "$va" --label "$lab" --label pier.test=1 2>&1); rc=$?
check "pier volume create prints the name; docker sees the labels" \
	eval '[ $rc -eq 0 ] && [ "$out" = "$va" ] &&
	[ "$(docker volume inspect --format "{{index .Labels \"pier.test.w4\"}}" $va)" = "$id" ]'
P volume create n1 "$vb" --label "$lab" >/dev/null 2>&1
out=$(P volumes n1 2>&1); rc=$?
check "pier volumes shows DRIVER and VOLUME NAME" \
	eval '[ $rc -eq 0 ] && has "$out" "^DRIVER  *VOLUME NAME" && has "$out" "^local  *$va$"'
check "pier volumes -q lists what docker volume ls lists" \
	same 'P volumes n1 -q' 'docker volume ls -q'
docker run -d --label pier.test=1 --label "pier.test.w4.run=$id" -v "$vb:/x" \
	pier-test/busybox:latest sleep 600 >/dev/null
out=$(P volume rm n1 "$vb" 2>&1); rc=$?
check "a volume in use is not removed" \
	eval '[ $rc -eq 1 ] && has "$out" "in use" && docker volume inspect $vb >/dev/null 2>&1'
out=$(echo n | P volume prune n1 --filter "label=$lab" 2>&1); rc=$?
check "volume prune asks first" \
	eval '[ $rc -eq 1 ] && has "$out" "WARNING! This will remove all local volumes" &&
	docker volume inspect $va >/dev/null 2>&1'
out=$(P volume prune n1 -f --filter "label=$lab" 2>&1); rc=$?
check "volume prune removes the unused volume, not the one in use" \
	eval '[ $rc -eq 0 ] && has "$out" "^Deleted Volumes:" && has "$out" "^$va$" &&
	! docker volume inspect $va >/dev/null 2>&1 && docker volume inspect $vb >/dev/null 2>&1'
docker ps -aq --filter "label=pier.test.w4.run=$id" | xargs -r docker rm -f >/dev/null
out=$(P volume rm n1 "$vb" "pier-test-w4-$id-nosuch" 2>&1); rc=$?
check "volume rm removes, and names a missing one" \
	eval '[ $rc -eq 1 ] && has "$out" "^$vb$" && has "$out" "no such volume" &&
	! docker volume inspect $vb >/dev/null 2>&1'

out=$(P audit n1 --tail 100 2>&1); rc=$?
check "the audit log names each change and the viewer's refusal" \
	eval '[ $rc -eq 0 ] && has "$out" "admin  *admin  *image\.remove  *$repo:a  *ok" &&
	has "$out" "viewer1  *viewer  *image\.remove  *.*refused" &&
	has "$out" "image\.prune  *unused  *ok" &&
	has "$out" "volume\.create  *$va  *ok" && has "$out" "volume\.remove  *$vb  *failed  *conflict" &&
	has "$out" "volume\.prune  *unused  *ok"'

# Networks.
net=pier-test-w4-$id
netid=$(docker network create --label pier.test=1 "$net")
out=$(P networks n1 2>&1); rc=$?
check "pier networks shows docker network ls's columns" \
	eval '[ $rc -eq 0 ] && has "$out" "^NETWORK ID  *NAME  *DRIVER  *SCOPE" &&
	has "$out" "^${netid:0:12}  *$net  *bridge  *local$"'
check "pier networks -q lists what docker network ls -q lists" \
	same 'P networks n1 -q' 'docker network ls -q'
out=$(P network inspect n1 "$net" 2>&1); rc=$?
check "pier network inspect gives the engine's object" \
	eval '[ $rc -eq 0 ] && has "$out" "\"Id\": \"$netid\""'
docker network rm "$net" >/dev/null

# Templates.
out=$(P templates --source "$fixture" 2>&1); rc=$?
check "pier templates lists the file's templates" \
	eval '[ $rc -eq 0 ] && has "$out" "^ID  *TYPE  *TITLE  *IMAGE  *DESCRIPTION" &&
	has "$out" "^1  *container  *Pier Test Box  *pier-test/busybox:latest" &&
	has "$out" "^3  *compose stack  *Pier Test Stack  *-" && [ $(wc -l <<<"$out") -eq 5 ]'
out=$(P templates --source "$fixture" --json secret 2>&1); rc=$?
check "pier templates SEARCH --json" \
	eval '[ $rc -eq 0 ] && has "$out" "\"title\":\"Pier Test Secret Box\"" && [ $(wc -l <<<"$out") -eq 3 ]'
P config set templates.source "$fixture"
out=$(P templates 2>&1); rc=$?
check "the templates.source setting is the default source" \
	eval '[ $rc -eq 0 ] && has "$out" "Pier Test Box" && [ "$(P config get templates.source)" = "$fixture" ]'
out=$(XDG_CACHE_HOME=$tmp/cache P templates --source "https://127.0.0.1:1/t.json" --offline 2>&1); rc=$?
check "--offline with nothing cached says so" \
	eval '[ $rc -eq 1 ] && has "$out" "offline, and no copy of it is cached"'
out=$(XDG_CACHE_HOME=$tmp/cache P templates --source "https://127.0.0.1:1/t.json" 2>&1); rc=$?
check "an unreachable https source is named with the reason" \
	eval '[ $rc -eq 1 ] && has "$out" "https://127.0.0.1:1/t.json: .*connect"'
out=$(P templates --source "http://127.0.0.1:1/t.json" 2>&1); rc=$?
check "a plain http source is refused" \
	eval '[ $rc -eq 1 ] && has "$out" "only https URLs are fetched"'
out=$(P config set templates.sauce x 2>&1); rc=$?
check "an unknown setting is refused" eval '[ $rc -eq 2 ] && has "$out" "unknown setting"'
out="$(P config list) $(stat -c %a "$admin/config.json")"
check "config list shows the setting; the file is 0600" \
	[ "$out" = "templates.source=$fixture 600" ]
P config unset templates.source
out=$(P config get templates.source; XDG_CACHE_HOME=$tmp/cache P templates --offline 2>&1); rc=$?
check "after unset the default source is back" \
	eval '[ $rc -eq 1 ] && has "$out" "raw.githubusercontent.com/portainer"'
P config set templates.source "$fixture"

# Deploy.
hp=$(free_port)
box=pier-test-w4-$id-box
out=$(P deploy n1 pier-test-box --name "$box" -e GREETING=hi -e EXTRA=1 \
	-p "127.0.0.1:$hp:8080" -v "pier-test-w4-$id-data:/data" </dev/null 2>&1); rc=$?
check "pier deploy creates and starts the container and names it" \
	eval '[ $rc -eq 0 ] && has "$out" "^$box [0-9a-f]\{64\}$" &&
	[ "$(docker inspect --format "{{.State.Running}}" $box)" = true ]'
docker inspect "$box" >"$tmp/box.json" 2>&1
out=$(cat "$tmp/box.json")
check "deploy: env from -e, preset, select default, and extra -e" \
	[ "$(jget "$tmp/box.json" '" ".join(e for e in j[0]["Config"]["Env"] if not e.startswith("PATH="))')" = "GREETING=hi MODE=fixed LEVEL=high EXTRA=1" ]
check "deploy: labels and the template's title" \
	[ "$(jget "$tmp/box.json" '" ".join(k + "=" + v for k, v in sorted(j[0]["Config"]["Labels"].items()))')" = "pier.template=Pier Test Box pier.test=1 pier.test.w4=deploy" ]
check "deploy: restart policy" \
	[ "$(jget "$tmp/box.json" 'j[0]["HostConfig"]["RestartPolicy"]["Name"]')" = unless-stopped ]
check "deploy: -p replaces the template's port, the other stays" \
	[ "$(jget "$tmp/box.json" '" ".join(k + "=" + ",".join(b["HostIp"] + ":" + b["HostPort"] for b in v) for k, v in sorted(j[0]["HostConfig"]["PortBindings"].items()))')" = "5353/udp=: 8080/tcp=127.0.0.1:$hp" ]
check "deploy: -v replaces the template's volume, the bind stays read-only" \
	[ "$(jget "$tmp/box.json" '" ".join(sorted(m["Type"] + ":" + m.get("Name", m["Source"]) + ":" + m["Destination"] + ":" + str(m["RW"]) for m in j[0]["Mounts"]))')" = "bind:/tmp:/etc/box:False volume:pier-test-w4-$id-data:/data:True" ]
docker rm -f -v "$box" >/dev/null 2>&1
out=$(P deploy n1 pier-test-secret --name "$box-2" </dev/null 2>&1); rc=$?
check "a required variable missing off a terminal is an error naming -e" \
	eval '[ $rc -eq 1 ] && has "$out" "needs a value for PASSWORD; give it with -e NAME=value" &&
	! docker inspect $box-2 >/dev/null 2>&1'
out=$(P deploy n1 "Pier Test Secret" --name "$box-2" -e PASSWORD=s3 --restart no </dev/null 2>&1); rc=$?
check "given with -e it deploys, --restart overriding" \
	eval '[ $rc -eq 0 ] && [ "$(docker inspect --format "{{json .Config.Env}} {{.HostConfig.RestartPolicy.Name}}" $box-2)" = "[\"PASSWORD=s3\",\"PATH=/bin\"] no" ]'
docker rm -f -v "$box-2" >/dev/null 2>&1
if command -v script >/dev/null 2>&1; then
	# The answer is typed once the question is on the terminal.
	: >"$tmp/ask"
	{ wait_for 30 grep -q "Admin password" "$tmp/ask"; printf 's3cret\n'; } |
		PIER_CONFIG_DIR=$admin script -qec \
		"$pier deploy n1 pier-test-secret --name $box-3" /dev/null \
		>"$tmp/ask" 2>&1; rc=$?
	out=$(cat "$tmp/ask")
	check "on a terminal a missing required value is asked for" \
		eval '[ $rc -eq 0 ] && has "$out" "Admin password (PASSWORD): " &&
		[ "$(docker inspect --format "{{json .Config.Env}}" $box-3)" = "[\"PASSWORD=s3cret\",\"PATH=/bin\"]" ]'
	docker rm -f -v "$box-3" >/dev/null 2>&1
else
	ok "# SKIP no script(1) to give deploy a terminal"
fi
out=$(P deploy n1 pier-test-stack </dev/null 2>&1); rc=$?
check "a stack template whose repository pier cannot fetch from is refused" \
	eval '[ $rc -eq 1 ] && has "$out" "example.com/stacks.git is not on GitHub"'
out=$(P deploy n1 "Pier Test" </dev/null 2>&1); rc=$?
check "an ambiguous template name lists the candidates" \
	eval '[ $rc -eq 1 ] && has "$out" "ambiguous" && has "$out" "Pier Test Box"'
stdout=$(P deploy n1 4 </dev/null 2>"$tmp/err"); rc=$?
out="$stdout $(cat "$tmp/err")"
check "an image the node lacks is pulled first (on stderr), and a failed pull says so" \
	eval '[ $rc -eq 1 ] && [ -z "$stdout" ] && has "$out" "pulling it" &&
	has "$out" "pier pull n1 pier-test/absent-w4:none"'
out=$(P deploy n1 pier-test-secret --name "$box-4" -e PASSWORD=x --json </dev/null 2>&1); rc=$?
echo "$out" >"$tmp/dep.json"
check "pier deploy --json gives the id and name" \
	eval '[ $rc -eq 0 ] && [ "$(jget $tmp/dep.json "j[\"name\"] + \" \" + str(len(j[\"id\"]))")" = "$box-4 64" ]'
docker rm -f -v "$box-4" >/dev/null 2>&1
out=$(P deploy n1 pier-test-box --source "$tmp/nosuch.json" </dev/null 2>&1); rc=$?
check "a missing template file is named" eval '[ $rc -eq 1 ] && has "$out" "nosuch.json"'

# A node whose engine is down answers with the reason; the other goes on.
port2=$(free_port)
check "a second pierd starts with no engine behind it" \
	start_node "$tmp/state2" "$port2" "unix://$tmp/no-docker.sock" "$tmp/pierd2.log"
P join "$("$pierd" key show --state-dir "$tmp/state2" 2>/dev/null)" --name n2 >/dev/null 2>&1
for c in images volumes networks "image prune -f" "volume prune -f"; do
	out=$(P $c n2 2>&1); rc=$?
	check "pier $c on a node without Docker says so" \
		eval '[ $rc -eq 1 ] && has "$out" "docker unavailable: cannot reach Docker at unix://$tmp/no-docker.sock"'
done
out=$(P images n1 2>&1); rc=$?
check "the node with an engine still serves" \
	eval '[ $rc -eq 0 ] && has "$out" "^pier-test/busybox  *latest "'

# Usage.
out=$(P images n1 nosuch 2>&1); rc=$?
check "pier images naming a node that is not joined says which" \
	eval '[ $rc -eq 1 ] && has "$out" "no node named nosuch"'
out=$(P volume frob 2>&1); rc=$?
check "an unknown volume subcommand is a usage error" [ $rc -eq 2 ]
out=$(P rmi 2>&1); rc=$?
check "pier rmi without an image is a usage error" [ $rc -eq 2 ]
out=$(P deploy --help 2>&1); rc=$?
check "pier deploy --help" eval '[ $rc -eq 0 ] && has "$out" "usage: pier deploy"'
out=$(P image prune --help 2>&1); rc=$?
check "pier image prune --help" eval '[ $rc -eq 0 ] && has "$out" "usage: pier image prune"'

e2e_stop_nodes
e2e_done
