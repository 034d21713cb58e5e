#!/usr/bin/env bash
# End to end against the real engine: a pierd on 127.0.0.1, `pier info`
# checked against what docker itself reports, access keys made, listed
# and revoked through `pier key`, a viewer key refused key management and
# the audit log, `pier audit` showing those refusals, a node whose Docker
# is down still answering `pier info`, and usage mistakes. Prints TAP.
# Builds nothing: the programs come from $PIER_BUILD_ROOT.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init info
e2e_need_docker

port=$(free_port)
state=$tmp/state
log=$tmp/pierd.log
check "pierd starts with the real engine" \
	start_node "$state" "$port" "$dockerhost" "$log"
admin=$tmp/admin
viewer=$tmp/viewer
key=$("$pierd" key show --state-dir "$state" 2>/dev/null)
PIER_CONFIG_DIR=$admin "$pier" join "$key" --name n1 >/dev/null 2>&1
fp=$(grep -o 'node key [a-z0-9-]*' "$log" | head -1 | cut -d' ' -f3)

# pier info against docker's own view.
out=$(PIER_CONFIG_DIR=$admin "$pier" info 2>&1); rc=$?
check "pier info answers with the node key and the engine's version" \
	eval '[ $rc -eq 0 ] && has "$out" "Node key:      $fp" &&
	has "$out" "Version:       $(docker version --format "{{.Server.Version}}") (API 1\.4"'
match=0
for _ in 1 2 3 4 5; do
	before=$(docker info --format '{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}} {{.Images}}')
	PIER_CONFIG_DIR=$admin "$pier" info --json >"$tmp/info.json" 2>&1
	got=$(jget "$tmp/info.json" '"%d %d %d %d %d" % (j["containers"]["total"], j["containers"]["running"], j["containers"]["paused"], j["containers"]["stopped"], j["images"])')
	after=$(docker info --format '{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}} {{.Images}}')
	if [ "$got" = "$before" ] || [ "$got" = "$after" ]; then
		match=1
		break
	fi
	sleep 0.5	# other tests may be making containers right now
done
out="pier: $got; docker: $before / $after"
check "pier info --json counts what docker info counts" [ $match -eq 1 ]
out=$(cat "$tmp/info.json")
got=$(jget "$tmp/info.json" '"%s %d %s %s %s" % (j["node"], j["proto"], j["key"], j["host"]["cpus"] > 0, j["uptime"] >= 0)')
check "pier info --json has the node, versions, host and uptime" \
	[ "$got" = "n1 1 $fp True True" ]

# Keys through the protocol.
vkey=$(PIER_CONFIG_DIR=$admin "$pier" key create --name viewer1 --role viewer 2>"$tmp/err"); rc=$?
out="$vkey $(cat "$tmp/err")"
check "pier key create prints one join key alone on stdout" \
	eval '[ $rc -eq 0 ] && [ $(wc -l <<<"$vkey") -eq 1 ] && has "$vkey" "^pier1" && has "$(cat $tmp/err)" "shown only once"'
out=$(PIER_CONFIG_DIR=$admin "$pier" key create --name viewer1 --role admin 2>&1); rc=$?
check "a second key with the same name is refused" \
	eval '[ $rc -eq 1 ] && has "$out" "already exists"'
out=$(PIER_CONFIG_DIR=$admin "$pier" key list 2>&1); rc=$?
check "pier key list shows both keys with their roles, no secrets" \
	eval '[ $rc -eq 0 ] && has "$out" "^NAME  *ROLE  *ID" && has "$out" "^admin  *admin" && has "$out" "^viewer1  *viewer" && ! has "$out" "pier1"'
PIER_CONFIG_DIR=$admin "$pier" key list --json >"$tmp/keys.json" 2>&1
out=$(cat "$tmp/keys.json")
check "pier key list --json gives one row per key" \
	[ "$(jget "$tmp/keys.json" '" ".join(sorted(k["name"] + ":" + k["role"] for k in j))')" = "admin:admin viewer1:viewer" ]
out=$(PIER_CONFIG_DIR=$viewer "$pier" join "$vkey" --name n1 2>&1); rc=$?
check "the new key joins" [ $rc -eq 0 ]
out=$(PIER_CONFIG_DIR=$viewer "$pier" info 2>&1); rc=$?
check "a viewer may read node info" eval '[ $rc -eq 0 ] && has "$out" "Node key:      $fp"'
out=$(PIER_CONFIG_DIR=$viewer "$pier" key list 2>&1); rc=$?
check "a viewer is refused key list, told the role it needs" \
	eval '[ $rc -eq 1 ] && has "$out" "pier key: n1: key.list needs the admin role; this key is viewer"'
out=$(PIER_CONFIG_DIR=$viewer "$pier" key create --name sneaky --role admin 2>&1); rc=$?
check "a viewer is refused key create" \
	eval '[ $rc -eq 1 ] && has "$out" "needs the admin role"'
out=$(PIER_CONFIG_DIR=$viewer "$pier" key revoke admin 2>&1); rc=$?
check "a viewer is refused key revoke" \
	eval '[ $rc -eq 1 ] && has "$out" "needs the admin role"'
out=$(PIER_CONFIG_DIR=$viewer "$pier" audit 2>&1); rc=$?
check "a viewer is refused the audit log" \
	eval '[ $rc -eq 1 ] && has "$out" "audit.read needs the admin role"'

# The audit log shows the mutation and the refusals.
out=$(PIER_CONFIG_DIR=$admin "$pier" audit 2>&1); rc=$?
check "pier audit shows the admin's key.create" \
	eval '[ $rc -eq 0 ] && has "$out" "admin  *admin  *key.create  *viewer1 (viewer)  *ok"'
check "pier audit shows the viewer's refusals" \
	eval 'has "$out" "viewer1  *viewer  *key.create  *sneaky  *refused  *forbidden" && has "$out" "viewer1  *viewer  *key.revoke  *admin  *refused"'
PIER_CONFIG_DIR=$admin "$pier" audit --json >"$tmp/audit.json" 2>&1; rc=$?
out=$(cat "$tmp/audit.json")
check "pier audit --json carries the client key and the error" \
	eval '[ $rc -eq 0 ] && [ "$(jget "$tmp/audit.json" "[e for e in j if e[\"outcome\"] == \"refused\" and e[\"method\"] == \"key.create\"][0][\"error\"][:11]")" = "forbidden: " ] && [ "$(jget "$tmp/audit.json" "len(j[0][\"client\"])")" = 19 ]'
out=$(PIER_CONFIG_DIR=$admin "$pier" audit --tail 1 --json 2>&1)
check "pier audit --tail 1 gives one entry" \
	eval '[ "$(python3 -c "import json,sys; print(len(json.loads(sys.argv[1])))" "$out")" = 1 ]'
out=$(stat -c %a "$state/audit.log")
check "the audit log is in the state dir, mode 600" [ "$out" = 600 ]

# Revocation through the protocol ends the key's access.
out=$(PIER_CONFIG_DIR=$admin "$pier" key revoke viewer1 2>&1); rc=$?
check "pier key revoke revokes" eval '[ $rc -eq 0 ] && has "$out" "Revoked access key viewer1"'
out=$(PIER_CONFIG_DIR=$viewer "$pier" info 2>&1); rc=$?
check "the revoked key no longer gets in" \
	eval '[ $rc -eq 1 ] && has "$out" "no answer from"'
out=$(PIER_CONFIG_DIR=$admin "$pier" key revoke admin 2>&1); rc=$?
check "the last admin key is not revoked" \
	eval '[ $rc -eq 1 ] && has "$out" "last admin key"'

# An admin may revoke the key it is using, and still hears back.
k2=$(PIER_CONFIG_DIR=$admin "$pier" key create --name admin2 --role admin 2>/dev/null)
PIER_CONFIG_DIR=$tmp/admin2 "$pier" join "$k2" --name n1 >/dev/null 2>&1
out=$(PIER_CONFIG_DIR=$tmp/admin2 "$pier" key revoke admin2 2>&1); rc=$?
check "an admin revoking its own key gets the reply first" \
	eval '[ $rc -eq 0 ] && has "$out" "Revoked access key admin2"'
out=$(PIER_CONFIG_DIR=$tmp/admin2 "$pier" info 2>&1); rc=$?
check "and is out afterwards" [ $rc -eq 1 ]

# A node whose Docker is down serves and says so.
port2=$(free_port)
check "a second pierd starts with Docker unreachable" \
	start_node "$tmp/state2" "$port2" "unix://$tmp/no-docker.sock" \
	"$tmp/pierd2.log" --audit-size 1024 --audit-keep 2
key2=$("$pierd" key show --state-dir "$tmp/state2" 2>/dev/null)
PIER_CONFIG_DIR=$admin "$pier" join "$key2" --name n2 >/dev/null 2>&1
out=$(PIER_CONFIG_DIR=$admin "$pier" info n2 2>&1); rc=$?
check "pier info on it says Docker is unavailable and why" \
	eval '[ $rc -eq 0 ] && has "$out" "Docker:         unavailable: cannot reach Docker at unix://$tmp/no-docker.sock"'
for i in $(seq 14); do
	PIER_CONFIG_DIR=$admin "$pier" key create n2 --name "k$i" \
		--role viewer >/dev/null 2>&1
done
out=$(ls "$tmp/state2"; wc -c "$tmp/state2"/audit.log*)
check "the audit log rotates by --audit-size and keeps --audit-keep files" \
	eval '[ -f "$tmp/state2/audit.log.2" ] && [ ! -e "$tmp/state2/audit.log.3" ] && [ $(stat -c %s "$tmp/state2/audit.log") -le 1024 ]'
out=$(PIER_CONFIG_DIR=$admin "$pier" audit n2 --json 2>&1)
check "pier audit reads across the rotated files, newest last" \
	eval '[ "$(python3 -c "import json,sys; j=json.loads(sys.argv[1]); print(j[-1][\"target\"])" "$out")" = "k14 (viewer)" ]'
out=$("$pierd" --audit-keep 0 2>&1); rc=$?
check "pierd refuses --audit-keep 0" eval '[ $rc -eq 2 ] && has "$out" "audit-keep wants 1 to 100"'

# Mistakes.
out=$(PIER_CONFIG_DIR=$admin "$pier" info 2>&1); rc=$?
check "with two nodes joined, pier info asks which" \
	eval '[ $rc -eq 1 ] && has "$out" "which node? 2 are joined: n1, n2"'
out=$(PIER_CONFIG_DIR=$admin "$pier" info nosuch 2>&1); rc=$?
check "an unknown node is named" \
	eval '[ $rc -eq 1 ] && has "$out" "no node named nosuch"'
out=$(PIER_CONFIG_DIR=$admin "$pier" key frob n1 2>&1); rc=$?
check "an unknown key subcommand is a usage error" [ $rc -eq 2 ]
out=$(PIER_CONFIG_DIR=$admin "$pier" key create n1 --name x 2>&1); rc=$?
check "key create without --role is a usage error" \
	eval '[ $rc -eq 2 ] && has "$out" "needs --name NAME and --role ROLE"'
out=$(PIER_CONFIG_DIR=$admin "$pier" key create n1 --name "Bad Name" --role viewer 2>&1); rc=$?
check "a bad key name is refused by the node with the rule" \
	eval '[ $rc -eq 1 ] && has "$out" "params.name"'
out=$(PIER_CONFIG_DIR=$admin "$pier" audit n1 --tail 0 2>&1); rc=$?
check "--tail 0 is a usage error" [ $rc -eq 2 ]
out=$(PIER_CONFIG_DIR=$admin "$pier" info --help 2>&1); rc=$?
check "pier info --help" eval '[ $rc -eq 0 ] && has "$out" "usage: pier info"'
out=$(PIER_CONFIG_DIR=$admin "$pier" key --help 2>&1); rc=$?
check "pier key --help" eval '[ $rc -eq 0 ] && has "$out" "revoke \[NODE\] KEY"'

e2e_stop_nodes
e2e_done
