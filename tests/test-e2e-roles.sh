#!/usr/bin/env bash
# End to end: roles and the audit log, against the real engine. One pierd
# on 127.0.0.1; one client joined to it three times, under three names,
# with three access keys: na (the node's admin key), nv (a viewer key the
# admin made with `pier key create`) and no (an operator key). The viewer
# lists, inspects, reads logs, stats, top and events, and is refused every
# lifecycle call, run, exec and shell, the Docker CLI terminal, image and
# volume changes, key management and the audit log, each with "METHOD
# needs the ROLE role; this key is viewer" and a non-zero exit, while
# docker shows nothing changed. The operator stops, starts, restarts,
# pauses and execs, and is refused rm, run, rename, update, pull and key
# management. Then `pier audit` (admin) must show every refusal and every
# mutation with the key's name, the method and the outcome, and no
# successful read. Commands this client does not have yet (`pier help`
# does not list them) are reported as skipped cases. Prints TAP.
# Containers carry pier.test=1 and pier.test.case=roles-$$.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init roles
image=pier-test/busybox:latest
tag=roles-$$
case_label=pier.test.case=$tag
p=pier-$tag
expect=()	# "KEY METHOD OUTCOME" lines the audit log must hold

# cleanup_more: this test's containers, volumes and image.
cleanup_more() {
	docker ps -aq --filter "label=$case_label" | xargs -r docker rm -fv \
		>/dev/null 2>&1
	docker volume ls -q --filter "label=$case_label" | xargs -r \
		docker volume rm -f >/dev/null 2>&1
	docker rmi "pier-test/roles:$tag" >/dev/null 2>&1
}

pc() { PIER_CONFIG_DIR=$tmp/client "$pier" "$@" </dev/null; }
# pct ARGS...: pc on a terminal (shell and the docker terminal need one).
pct() { ontty env PIER_CONFIG_DIR="$tmp/client" "$pier" "$@"; }
# art WORD: "a" or "an".
art() { case $1 in [aeiou]*) echo an ;; *) echo a ;; esac; }
# have CMD: the client has the command (listed by `pier help`).
have() { grep -q "^  $1 " <<<"$commands"; }

# refused ROLE-NEEDED METHOD CMD...: the call fails (exit 1) with the
# dispatcher's message for a viewer or operator key; the audit log must
# then hold the refusal under that key's name.
refused() {
	local need=$1 method=$2 cmd=$3 rc a who=viewer keyname=viewer-$$
	shift 2
	for a in "$@"; do
		case $a in
		no | no/*) who=operator; keyname=operator-$$ ;;
		esac
	done
	if ! have "$cmd"; then
		skip "$(art $who) $who is refused pier $cmd" "no pier $cmd yet"
		return
	fi
	out=$(${run:-pc} "$@" 2>&1); rc=$?
	out="rc $rc: $out"
	if [ $rc -eq 1 ] && has "$out" "$method needs the $need role; this key is $who"; then
		ok "$(art $who) $who is refused pier $*: $method needs the $need role"
		expect+=("$keyname $method refused")
	else
		not_ok "$(art $who) $who is refused pier $*: $method needs the $need role" "$out"
	fi
}

e2e_need_docker
commands=$("$pier" help 2>&1)

port=$(free_port)
check "pierd starts" \
	e2e_pierd "$tmp/s" "$port" "$dockerhost" "$tmp/pierd.log"
key=$("$pierd" key show --state-dir "$tmp/s" 2>/dev/null)
out=$(pc join "$key" --name na 2>&1)
check "the client joins with the admin key as na" has "$out" "joined na"
admin=$(pc key list na --json 2>/dev/null | python3 -c \
	'import json,sys; print([k["name"] for k in json.load(sys.stdin) if k["role"] == "admin"][0])')
for role in viewer operator; do
	k=$(pc key create na --name $role-$$ --role $role 2>/dev/null | grep '^pier1')
	expect+=("$admin key.create ok")
	short=${role:0:1}
	out=$(pc join "$k" --name n$short 2>&1)
	check "the same client joins the same node as n$short with $(art $role) $role key" \
		has "$out" "joined n$short"
done
out=$(pc nodes 2>&1)
check "the address book has na, nv and no, one fingerprint" \
	eval 'has "$out" "^na " && has "$out" "^nv " && has "$out" "^no " && [ $(awk "NR > 1 { print \$3 }" <<<"$out" | sort -u | wc -l) -eq 1 ]'

# The admin makes what the others will look at.
id=$(pc run na --name $p-a -l pier.test=1 -l $case_label $image \
	sh -c "echo out-$tag; echo err-$tag >&2; exec sleep 600" 2>&1)
out=$id
check "the admin runs a container" [ "$(di '{{.State.Status}}' $p-a)" = running ]
expect+=("$admin container.create ok")
out=$(pc run na --name $p-b -l pier.test=1 -l $case_label $image sleep 600 2>&1)
out="$out $(pc stop -t 0 na/$p-b 2>&1)"
check "the admin runs and stops a second" [ "$(di '{{.State.Status}}' $p-b)" = exited ]
expect+=("$admin container.create ok" "$admin container.stop ok")
docker tag $image pier-test/roles:$tag
docker volume create --label pier.test=1 --label $case_label $p-vol >/dev/null

# What a viewer may do.
out=$(pc ps -a nv 2>&1); rc=$?
check "a viewer lists containers (ps -a)" \
	eval '[ $rc -eq 0 ] && has "$out" "^nv  *${id:0:12} .* $p-a$" && has "$out" " $p-b$"'
out=$(pc inspect nv/$p-a 2>&1); rc=$?
check "a viewer inspects" eval '[ $rc -eq 0 ] && has "$out" "\"Id\": \"$id\""'
pc logs nv/$p-a >"$tmp/lo" 2>"$tmp/le"; rc=$?
out="rc $rc; stdout $(cat "$tmp/lo"); stderr $(cat "$tmp/le")"
check "a viewer reads logs, stdout and stderr apart" \
	eval '[ $rc -eq 0 ] && grep -qx "out-$tag" "$tmp/lo" && grep -qx "err-$tag" "$tmp/le"'
out=$(pc stats --no-stream nv/$p-a 2>&1); rc=$?
check "a viewer reads stats" \
	eval '[ $rc -eq 0 ] && has "$out" "CPU %" && has "$out" "${id:0:12}"'
out=$(pc top nv/$p-a 2>&1); rc=$?
check "a viewer reads top" eval '[ $rc -eq 0 ] && has "$out" "sleep 600"'
out=$(pc info nv 2>&1); rc=$?
check "a viewer reads the node's info" [ $rc -eq 0 ]
if have images; then
	out=$(pc images nv 2>&1); rc=$?
	check "a viewer lists images" eval '[ $rc -eq 0 ] && has "$out" "pier-test/roles  *$tag"'
else
	skip "a viewer lists images" "no pier images yet"
fi
if have volumes; then
	out=$(pc volumes nv 2>&1); rc=$?
	check "a viewer lists volumes" eval '[ $rc -eq 0 ] && has "$out" "$p-vol"'
else
	skip "a viewer lists volumes" "no pier volumes yet"
fi
PIER_CONFIG_DIR=$tmp/client "$pier" events nv \
	--filter "label=$case_label" >"$tmp/ev" 2>&1 </dev/null &
epid=$!
# Live once a probe event shows: a SIGWINCH to $p-a, whose sleep ignores
# it (a subscription not yet live would miss the start and stop below).
wait_for 10 eval 'docker kill -s WINCH $p-a >/dev/null 2>&1;
	grep -q " container kill .*name=$p-a" "$tmp/ev"'
pc start na/$p-b >/dev/null 2>&1 && pc stop -t 0 na/$p-b >/dev/null 2>&1
expect+=("$admin container.start ok" "$admin container.stop ok")
wait_for 10 grep -q " container die .*name=$p-b" "$tmp/ev"
kill -INT $epid; wait $epid; rc=$?
out="rc $rc: $(cat "$tmp/ev")"
check "a viewer follows events: the admin's start and stop of $p-b" \
	eval '[ $rc -eq 0 ] && grep -q "Z nv container start .*name=$p-b" "$tmp/ev" && grep -q "Z nv container die .*name=$p-b" "$tmp/ev"'

# What a viewer may not do; docker must show nothing changed after.
refused operator container.start start nv/$p-b
refused operator container.stop stop nv/$p-a
refused operator container.restart restart nv/$p-a
refused operator container.kill kill nv/$p-a
refused operator container.pause pause nv/$p-a
refused admin container.remove rm -f nv/$p-a
refused admin container.create run nv -l pier.test=1 -l $case_label $image true
refused admin container.update update --cpus 1 nv/$p-a
refused admin container.rename rename nv/$p-a $p-x
refused admin container.duplicate dup nv/$p-a
refused operator exec.run exec nv/$p-a true
run=pct refused operator session.open shell nv/$p-a
run=pct refused operator session.open docker nv -- ps
refused admin docker.run docker nv -- ps
refused admin image.pull pull nv $image
refused admin image.remove rmi nv pier-test/roles:$tag
refused admin image.prune image prune nv -f --filter label=$case_label
refused admin volume.create volume create nv $p-vol2
refused admin volume.remove volume rm nv $p-vol
refused admin volume.prune volume prune nv -f --filter label=$case_label
refused admin key.create key create nv --name x-$$ --role admin
refused admin key.list key list nv
refused admin key.revoke key revoke nv $admin
refused admin audit.read audit nv
out=$(di '{{.State.Status}} {{.Name}} {{.HostConfig.NanoCpus}}' $p-a; di '{{.State.Status}}' $p-b)
check "docker shows the viewer changed nothing: one running, one exited, name and cpus kept" \
	eval '[ "$out" = "running /$p-a 0
exited" ] && [ $(docker ps -aq --filter label=$case_label | wc -l) -eq 2 ]'
out=$(docker image inspect -f ok pier-test/roles:$tag 2>&1; docker volume inspect -f ok $p-vol 2>&1; docker volume inspect $p-vol2 2>&1)
check "docker shows the image and volume untouched and no new volume" \
	eval 'has "$out" "^ok
ok" && has "$out" "[Nn]o such volume"'
out=$(pc key list na 2>&1)
check "no key was made by the viewer, and the admin's is still there" \
	eval '! has "$out" "x-$$" && has "$out" "^$admin  *admin"'

# The operator: the lifecycle and exec yes, the rest no.
po_ok() {
	local method=$1 rc; shift
	out=$(pc "$@" 2>&1); rc=$?
	out="rc $rc: $out"
	[ $rc -eq 0 ] || return 1
	expect+=("operator-$$ $method ok")
}
check "an operator stops; docker sees it exited" \
	eval 'po_ok container.stop stop -t 0 no/$p-a && [ "$(di "{{.State.Status}}" $p-a)" = exited ]'
check "an operator starts; docker sees it running" \
	eval 'po_ok container.start start no/$p-a && [ "$(di "{{.State.Status}}" $p-a)" = running ]'
check "an operator pauses and unpauses" \
	eval 'po_ok container.pause pause no/$p-a && [ "$(di "{{.State.Status}}" $p-a)" = paused ] && po_ok container.unpause unpause no/$p-a && [ "$(di "{{.State.Status}}" $p-a)" = running ]'
check "an operator restarts" eval 'po_ok container.restart restart -t 0 no/$p-a'
if have exec; then
	out=$(pc exec no/$p-a echo hi-$tag 2>&1); rc=$?
	check "an operator runs exec" eval '[ $rc -eq 0 ] && [ "$out" = hi-$tag ]'
	expect+=("operator-$$ exec.run ok")
else
	skip "an operator runs exec" "no pier exec yet"
fi
refused admin container.remove rm -f no/$p-a
refused admin container.create run no -l pier.test=1 -l $case_label $image true
refused admin container.rename rename no/$p-a $p-x
refused admin container.update update --cpus 1 no/$p-a
refused admin image.pull pull no $image
refused admin volume.create volume create no $p-vol2
refused admin key.create key create no --name y-$$ --role admin
refused admin key.list key list no
refused admin key.revoke key revoke no viewer-$$
out=$(di '{{.State.Status}} {{.Name}}' $p-a)
check "docker shows the operator removed and renamed nothing" \
	eval '[ "$out" = "running /$p-a" ] && [ $(docker ps -aq --filter label=$case_label | wc -l) -eq 2 ]'
if have docker; then
	out=$(pct docker no -- ps 2>&1); rc=$?
	check "an operator is refused the Docker CLI terminal (admin only)" \
		eval '[ $rc -eq 1 ] && has "$out" "session.open with kind \"docker\" needs the admin role; this key is operator"'
	expect+=("operator-$$ session.open refused")
	refused admin docker.run docker no -- ps
else
	skip "an operator is refused the Docker CLI terminal" "no pier docker yet"
fi

# The admin's own mutations, then the audit log as pier audit shows it.
out=$(pc rm -f na/$p-b 2>&1)
check "the admin removes a container" eval '! docker inspect $p-b >/dev/null 2>&1'
expect+=("$admin container.remove ok")
pc audit na --json --tail 10000 >"$tmp/audit.json" 2>"$tmp/audit.err"; rc=$?
out="rc $rc $(cat "$tmp/audit.err")"
check "pier audit (admin) reads the log" [ $rc -eq 0 ]
printf '%s\n' "${expect[@]}" >"$tmp/expect"
out=$(python3 - "$tmp/audit.json" "$tmp/expect" <<'EOF'
import collections, json, sys
log = json.load(open(sys.argv[1]))
have = collections.Counter((e["key"], e["method"], e["outcome"]) for e in log)
want = collections.Counter(tuple(l.split()) for l in open(sys.argv[2]) if l.strip())
missing = [" ".join(k) + " x%d" % (n - have[k]) for k, n in want.items() if have[k] < n]
print("missing: " + "; ".join(missing) if missing else "all %d there" % sum(want.values()))
EOF
)
check "the audit log has every refusal and mutation with its key name, method and outcome ($(wc -l <"$tmp/expect") expected)" \
	has "$out" "^all "
out=$(python3 -c '
import json, sys
bad = [e for e in json.load(open(sys.argv[1])) if e["outcome"] == "refused" and
       not ((e["error"] or "").startswith("forbidden: " + e["method"] + " ") and
            " needs the " in e["error"])]
print(len(bad), bad[:2])' "$tmp/audit.json")
check "each refusal in the log says which role it needed" has "$out" "^0 "
out=$(python3 -c '
import json, sys
log = json.load(open(sys.argv[1]))
print(len([e for e in log if e["outcome"] == "ok" and e["method"] in
    ("container.list", "container.inspect", "container.logs", "container.top",
     "container.stats", "stats.subscribe", "node.info", "image.list",
     "volume.list")]))' "$tmp/audit.json")
check "reads that succeeded are not audited" [ "$out" = 0 ]
out=$(python3 -c '
import json, sys
log = json.load(open(sys.argv[1]))
print(sorted(set((e["key"], e["role"]) for e in log)))' "$tmp/audit.json")
check "each entry's key name goes with its role" \
	[ "$out" = "[('$admin', 'admin'), ('operator-$$', 'operator'), ('viewer-$$', 'viewer')]" ]
out=$(pc audit na --tail 10000 2>&1)
check "the audit table shows a viewer refusal with key, role, method and outcome" \
	has "$out" " viewer-$$  *viewer  *container\.stop  *$p-a  *refused "

e2e_stop_nodes
e2e_done
