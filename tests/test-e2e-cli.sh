#!/usr/bin/env bash
# End to end against the real engine: one command line for every
# command. Options after the arguments (events, logs, stats), exec and
# run stopping at their command, every complaint beginning "pier
# COMMAND:" and every usage error exiting 2, --env-file read as docker
# reads it (compared with docker create --env-file on the same file),
# update refusing a 0 limit, a failed pull audited as failed, the role in
# pier nodes, templates.source stored absolute, and a template file with
# bad templates: the rest listed, one warning each, only those refused.
# Prints TAP. Containers carry pier.test.case=cli-$$ and are removed.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init cli
e2e_need_docker
image=pier-test/busybox:latest
case_label=pier.test.case=cli-$$
p=pcli$$
src=${PIER_SOURCE_ROOT:-.}
cfg=$tmp/client

# cleanup_more: this test's containers.
cleanup_more() {
	docker ps -aq --filter "label=$case_label" | xargs -r docker rm -fv \
		>/dev/null 2>&1
}

# waitfor SECS CMD...: polls CMD every 50 ms until it succeeds or SECS pass.
waitfor() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
}

port=$(free_port)
check "pierd starts" start_node "$tmp/state" "$port" "$dockerhost" "$tmp/pierd.log"
key=$("$pierd" key show --state-dir "$tmp/state" 2>/dev/null)
out=$(P join "$key" --name n1 2>&1)
check "the client joins n1" has "$out" "joined n1"
docker run -d --name $p-web -l pier.test=1 -l $case_label $image \
	sh -c 'echo one; echo two; echo three; exec sleep 600' >/dev/null
waitfor 10 eval '[ "$(docker logs $p-web 2>&1 | wc -l)" -eq 3 ]'

# Options after the arguments.
out=$(P logs n1/$p-web --tail 1 2>&1); rc=$?
check "pier logs NODE/CONTAINER --tail 1 prints the last line" \
	eval '[ $rc -eq 0 ] && [ "$out" = three ]'
out=$(PIER_CONFIG_DIR=$cfg timeout 20 "$pier" stats n1/$p-web --no-stream 2>&1); rc=$?
check "pier stats NODE/CONTAINER --no-stream prints one table" \
	eval '[ $rc -eq 0 ] && has "$out" "^NODE  *CONTAINER ID" && has "$out" " $p-web "'
# From a second back: the stream may be set up after the create below,
# and events without --since begin when it is.
PIER_CONFIG_DIR=$cfg "$pier" events n1 --json --since $(($(date +%s) - 1)) \
	>"$tmp/events" 2>&1 &
evpid=$!
docker create --name $p-ev -l pier.test=1 -l $case_label $image true >/dev/null
waitfor 10 grep -q "\"name\":\"$p-ev\"" "$tmp/events"
out=$(cat "$tmp/events")
check "pier events NODE --json streams JSON (the option is not a node)" \
	eval 'has "$out" "\"Action\":\"create\"" && ! has "$out" "no such node"'
kill -INT $evpid 2>/dev/null
wait $evpid 2>/dev/null
out=$(P exec n1/$p-web echo --tail 1 2>&1); rc=$?
check "exec stops at its command: what follows is the command's" \
	eval '[ $rc -eq 0 ] && [ "$out" = "--tail 1" ]'
out=$(P run -l pier.test=1 n1 -l $case_label --name $p-run $image echo -e --name 2>&1); rc=$?
check "run takes options before and after NODE, and stops at IMAGE" \
	eval '[ $rc -eq 0 ] && [ "$(di "{{json .Config.Cmd}}" $p-run)" = "[\"echo\",\"-e\",\"--name\"]" ]'

# Complaints: "pier COMMAND:" and exit 2.
usage_case() {
	local want=$1
	shift
	out=$(PIER_CONFIG_DIR=$cfg timeout 20 "$pier" "$@" </dev/null 2>&1); rc=$?
	check "pier $*: exit 2, '$want'" \
		eval '[ $rc -eq 2 ] && [ "$(head -1 <<<"$out" | cut -c1-${#want})" = "$want" ]'
}
usage_case "pier logs: --tail: abc is not a number" logs n1/$p-web --tail abc
usage_case "pier audit: --tail" audit --tail 0
usage_case "pier dup: unrecognized option '--bogus'" dup n1/$p-web --bogus
usage_case "pier run: unrecognized option '--bogus'" run n1 --bogus $image
usage_case "pier run: --pids-limit: expected a count" run n1 --pids-limit x $image
usage_case "pier image: unrecognized option '--bogus'" image ls n1 --bogus
usage_case "pier image inspect: unknown option --bogus" image inspect n1 --bogus
usage_case "pier key: unrecognized option '--bogus'" key list --bogus
usage_case "pier events: --filter x: expected KEY=VALUE" events n1 --filter x
usage_case "pier events: --since y: expected unix seconds" events --since y
usage_case "pier stop: -t: expected seconds" stop n1/$p-web -t 99999
usage_case "pier update: --restart: expected" update n1/$p-web --restart sometimes
usage_case "pier run: --pull: expected missing or never" run n1 --pull x $image
usage_case "pier ping: -c wants" ping n1 -c 0
usage_case "pier shell: --env x: expected K=V" shell n1/$p-web --env x
usage_case "pier exec: --env x: expected K=V" exec -e x n1/$p-web true
usage_case "pier kill: -s: expected a signal" kill -s "" n1/$p-web
usage_case "pier key: --role su: expected viewer, operator or admin" key create --name k --role su
usage_case "pier ps: --timeout: expected seconds" ps --timeout 0
usage_case "pier volume create: --driver: expected" volume create n1 -d ""
usage_case "pier templates: --source: expected" templates --source ""
usage_case "pier docker: --escape: bad escape character" docker n1 --escape ab -- ps
usage_case "pier deploy: port \"70000:80\"" deploy n1 "Pier Last" -p 70000:80
usage_case "pier deploy: -e \"X\": expected NAME=value" deploy n1 "Pier Last" -e X
usage_case "pier deploy: --restart \"often\"" deploy n1 "Pier Last" --restart often

# update --cpus 0: the engine would keep the limit and answer success.
docker update --cpus 0.5 $p-web >/dev/null
usage_case "pier update: --cpus 0: the engine cannot lift a limit in place" \
	update n1/$p-web --cpus 0
usage_case "pier update: --memory 0: the engine cannot lift a limit in place" \
	update n1/$p-web --memory 0
out=$(di '{{.HostConfig.NanoCpus}}' $p-web)
check "the limit is as it was" [ "$out" = 500000000 ]

# --env-file, as docker reads it.
printf '\xef\xbb\xbfA=1\n  B= two  \n#c\n\n   # indented\nD\nE="q"\n\tF=x\nUNSET_CLI_X\nG=a=b\r\n' >"$tmp/env"
D=from-env P run n1 -l pier.test=1 -l $case_label --name $p-envf \
	--env-file "$tmp/env" $image true >/dev/null 2>"$tmp/err"
D=from-env docker create -l pier.test=1 -l $case_label --name $p-envd \
	--env-file "$tmp/env" $image true >/dev/null
out="pier: $(di '{{json .Config.Env}}' $p-envf) docker: $(di '{{json .Config.Env}}' $p-envd) $(cat "$tmp/err")"
check "--env-file gives the environment docker create --env-file gives" \
	eval '[ "$(di "{{json .Config.Env}}" $p-envf)" = "$(di "{{json .Config.Env}}" $p-envd)" ] &&
	has "$out" "\"B= two  \",\"D=from-env\""'
printf 'A=1\nexport C=3\n' >"$tmp/env2"
usage_case "pier run: --env-file $tmp/env2:2: variable 'export C' contains whitespaces" \
	run n1 --env-file "$tmp/env2" $image true
out=$(docker create --env-file "$tmp/env2" $image true 2>&1)
check "... as docker says" has "$out" "variable 'export C' contains whitespaces"

# The audit log has the outcome of the pull, not of its start.
out=$(P pull n1 pier-test/absent-cli:none 2>&1); rc=$?
check "a pull that cannot be done fails" [ $rc -eq 1 ]
P audit --json --tail 20 >"$tmp/audit.json" 2>&1
out=$(cat "$tmp/audit.json")
check "... and is audited as failed, with the engine's reason" \
	[ "$(jget "$tmp/audit.json" '[e["outcome"] + ":" + str(bool(e.get("error"))) for e in j if e["method"] == "image.pull"][-1]')" = "failed:True" ]

# The role, and templates.source made absolute.
out=$(P nodes --json 2>&1)
check "pier nodes --json shows the role" \
	eval 'python3 -c "import json,sys; assert json.loads(sys.argv[1])[0][\"role\"] == \"admin\"" "$out"'
python3 -c 'import json,sys; p=sys.argv[1]; b=json.load(open(p)); [n.pop("role", None) for n in (b["nodes"] if isinstance(b, dict) else b)]; json.dump(b, open(p, "w"))' "$cfg/nodes.json"
out=$(P info 2>&1; P nodes --json 2>&1)
check "pier info shows the access key and role, and gives the book a role it lacked" \
	eval 'has "$out" "^ Access key:    admin (admin)$" && has "$out" "\"role\": \"admin\""'
out=$(cd "$src/tests" && P config set templates.source fixtures/templates-mixed.json 2>&1 &&
	P config get templates.source)
check "config set templates.source FILE stores an absolute path" \
	[ "$out" = "$(cd "$src/tests/fixtures" && pwd -P)/templates-mixed.json" ]

# A template file with two bad templates among good ones.
P templates >"$tmp/tpl" 2>"$tmp/tpl.err"; rc=$?
out="$(cat "$tmp/tpl") $(cat "$tmp/tpl.err")"
check "pier templates lists the good templates" \
	eval '[ $rc -eq 0 ] && [ $(wc -l <"$tmp/tpl") -eq 4 ] && has "$out" "^1  *container  *Pier Any Port" &&
	has "$out" "^5  *container  *Pier Last" && ! grep -q "Bad Port\|Twice" "$tmp/tpl"'
check "... and warns once per bad template, naming it and the field" \
	eval '[ $(wc -l <"$tmp/tpl.err") -eq 2 ] &&
	grep -q "^pier templates: warning: .*templates-mixed.json: template 2 \"Pier Bad Port\": field \"ports\[0\]\": port \"80:http/tcp\"" "$tmp/tpl.err" &&
	grep -q "^pier templates: warning: .*template 3 \"Pier Twice\": field \"env\[1\].name\": PUID is declared twice" "$tmp/tpl.err"'
out=$(P deploy n1 "Pier Bad Port" </dev/null 2>&1); rc=$?
check "deploy refuses the bad template with its error" \
	eval '[ $rc -eq 1 ] && has "$out" "^pier deploy: .*template 2 \"Pier Bad Port\": field \"ports\[0\]\""'
out=$(P deploy n1 "Pier Any Port" --name $p-any </dev/null 2>&1); rc=$?
hp=$(di '{{(index (index .NetworkSettings.Ports "8081/tcp") 0).HostPort}}' $p-any)
check "deploy of ':8081/tcp' publishes on a host port the engine picked" \
	eval '[ $rc -eq 0 ] && [ "$hp" -gt 0 ] 2>/dev/null'
docker rm -fv $p-any >/dev/null 2>&1

e2e_done
