#!/usr/bin/env bash
# End to end: the page of `pier ui` in a real browser. playwright-core
# (pinned by tests/ui/package-lock.json, installed by npm into the build
# dir) drives Debian's chromium, headless, through tests/ui/browser.mjs.
# Nodes: a and b, two pierds on the real engine (the same containers,
# listed once per node); av, node a again through a viewer key; f, a
# pierd on the fake engine of tests/fixtures/docker-fake-pull.py, for a
# pull with progress (no registry is reachable here). The cases: both
# nodes' rows, live stats, stop and start checked with docker inspect,
# no mutating button for the viewer and the node's refusal of a forced
# call, logs, a terminal that runs a typed command, resize, detach and
# reattach with the screen repainted, a dropped WebSocket and a node
# link cut under pier ui (ss -K) that the terminal comes back from, a
# pull's per-layer progress and a broken pull's error, the deploy
# wizard on tests/fixtures/templates-deploy.json, the admin's keys and
# audit log, the keyboard, and no request leaving pier ui. With
# UI_SHOTS=DIR it saves screenshots there (docs/ui has them). Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
e2e_need_docker
command -v chromium >/dev/null ||
	skip_all "no chromium (tools/setup-deps --test)"
command -v npm >/dev/null || skip_all "no npm (tools/setup-deps --test)"
e2e_init ui-browser
src=${PIER_SOURCE_ROOT:-$(dirname "$0")/..}
pfx=pier-ui-$$
label=pier.test.case=ui-$$
vol=pier-test-w4-tpl-data
docker volume inspect $vol >/dev/null 2>&1 && vol_had=1 || vol_had=0

cleanup_more() {
	docker ps -aq --filter "label=$label" | xargs -r docker rm -fv \
		>/dev/null 2>&1
	docker rm -fv "$pfx-tpl" >/dev/null 2>&1
	[ $vol_had = 1 ] || docker volume rm $vol >/dev/null 2>&1
}

# playwright-core into the build dir, again when the lock changes.
mods=$build/npm-ui
if ! cmp -s "$src/tests/ui/package-lock.json" "$mods/package-lock.json" ||
    [ ! -d "$mods/node_modules/playwright-core" ]; then
	mkdir -p "$mods"
	cp "$src/tests/ui/package.json" "$src/tests/ui/package-lock.json" \
		"$mods/"
	(cd "$mods" && timeout 180 npm ci --ignore-scripts --no-audit \
		--no-fund) >"$tmp/npm.log" 2>&1 ||
		skip_all "npm ci playwright-core failed: $(tail -n 1 "$tmp/npm.log")"
fi

P() { PIER_CONFIG_DIR=$tmp/client "$pier" "$@" </dev/null; }
for nd in a b; do
	port=$(free_port)
	check "pierd $nd starts" e2e_pierd "$tmp/$nd" "$port" "$dockerhost" \
		"$tmp/$nd.log"
	key=$("$pierd" key show --state-dir "$tmp/$nd" 2>/dev/null)
	out=$(P join "$key" --name $nd 2>&1)
	check "the client joins $nd" has "$out" "joined $nd"
	[ $nd = a ] && port_a=$port
done
key=$(P key create a --name viewer-$$ --role viewer 2>/dev/null | grep '^pier1')
out=$(P join "$key" --name av 2>&1)
check "the client joins a again with a viewer key" has "$out" "joined av"
python3 "$src/tests/fixtures/docker-fake-pull.py" "$tmp/fake.sock" \
	"$src/tests/data/docker" 2>"$tmp/fake.log" &
pids+=($!)
wait_for 10 test -S "$tmp/fake.sock"
port=$(free_port)
check "pierd f starts on the fake engine" e2e_pierd "$tmp/f" "$port" \
	"unix://$tmp/fake.sock" "$tmp/f.log"
key=$("$pierd" key show --state-dir "$tmp/f" 2>/dev/null)
out=$(P join "$key" --name f 2>&1)
check "the client joins f" has "$out" "joined f"
P config set templates.source "$src/tests/fixtures/templates-deploy.json"

docker run -d --name "$pfx-run" --label pier.test=1 --label "$label" \
	pier-test/busybox:latest sh -c 'echo ui-log-line; exec sleep 100000' \
	>/dev/null

PIER_CONFIG_DIR=$tmp/client "$pier" ui --no-browser >"$tmp/ui.out" 2>&1 &
uipid=$!
pids+=($uipid)
wait_for 5 grep -q 'token=' "$tmp/ui.out"
url=$(grep -o 'http://[^ ]*' "$tmp/ui.out")

UI_URL=$url UI_P=$pfx UI_SHOTS=${UI_SHOTS:-} UI_PORT_A=$port_a \
	PW=$mods/node_modules/playwright-core/index.mjs \
	timeout 480 node "$src/tests/ui/browser.mjs" >"$tmp/browser.out" 2>&1
rc=$?
while IFS= read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*)
		name=${line#not ok - }
		not_ok "${name%% # *}" "${name#* # }" ;;
	*) echo "# $line" ;;
	esac
done <"$tmp/browser.out"
out="exit $rc"
check "the browser script ran to its end" [ $rc -eq 0 ]

kill -INT $uipid
wait $uipid
rc=$?
out="exit $rc: $(tail -n 5 "$tmp/ui.out")"
check "pier ui ends cleanly (no leak under ASan)" [ $rc -eq 0 ]
e2e_done
