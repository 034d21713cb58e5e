#!/usr/bin/env bash
# The project's DHT node (overlay/dht*.c, run by tests/dht-driver)
# against bittorrent-dht 11.0.12, a mainline implementation we did not
# write, on 127.0.0.1: a first node with no bootstrap, three more that
# bootstrap from it, then ours. Our node joins (their nodes answer our
# queries and ours answers theirs), our announce (implied_port) is found
# by their lookup, and their announce by ours. npm installs the package
# into a cache under the build dir; without node, npm or the registry
# the test is a skip with the reason.
set -u

. "$(dirname "$0")/e2e-lib.sh"

skip_all() { echo "1..0 # SKIP $1"; exit 0; }
command -v node >/dev/null || skip_all "no node (tools/setup-deps --test)"
command -v npm >/dev/null || skip_all "no npm (tools/setup-deps --test)"

e2e_init dht
driver=$build/overlay/dht-driver
mods=$build/npm-dht
if [ ! -d "$mods/node_modules/bittorrent-dht" ]; then
	mkdir -p "$mods"
	if ! timeout 180 npm install --prefix "$mods" --cache "$mods/.cache" \
	    --no-audit --no-fund bittorrent-dht@11.0.12 >"$tmp/npm.log" 2>&1
	then
		skip_all "npm install bittorrent-dht failed: $(tail -n 1 "$tmp/npm.log")"
	fi
fi
# Node resolves packages from the script's folder: put it next to them.
cp "$(dirname "$0")/fixtures/dht-node.mjs" "$mods/dht-node.mjs"
fx=$mods/dht-node.mjs

# js NAME PORT BOOT ARGS...: one bittorrent-dht node, output in $tmp/NAME.
js() {
	local name=$1; shift
	node "$fx" "$@" >"$tmp/$name" 2>&1 &
	pids+=($!)
}
has_line() { grep -q -- "$2" "$tmp/$1" 2>/dev/null; }

ih_ours=$(printf 'pier-dht-ours' | sha1sum | cut -c1-40)
ih_theirs=$(printf 'pier-dht-theirs' | sha1sum | cut -c1-40)
pb=$(free_port)
js boot "$pb" none
check "their first node listens" wait_for 20 has_line boot listening
for i in 1 2 3; do
	js "n$i" "$(free_port)" "127.0.0.1:$pb"
done
check "their nodes bootstrap from it" wait_for 30 has_line n3 ready

po=$(free_port)
"$driver" -p "$po" -b "127.0.0.1:$pb" -n 3 -a "$ih_ours" -t 120 \
	>"$tmp/ours" 2>&1 &
pids+=($!)
check "our node joins: three of their nodes answer it" \
	wait_for 40 has_line ours ready
check "our announce went to the nodes that gave tokens" \
	wait_for 40 has_line ours announced

pl=$(free_port)
js look "$pl" "127.0.0.1:$pb" lookup "$ih_ours"
if wait_for 40 has_line look "peer 127.0.0.1:$po$"; then
	ok "their lookup finds our announce at our port (implied_port)"
else
	not_ok "their lookup finds our announce at our port (implied_port)" \
		"$(cat "$tmp/look" "$tmp/ours")"
fi

pa=$(free_port)
js ann "$pa" "127.0.0.1:$pb" announce "$ih_theirs" 7777
check "their node announces" wait_for 40 has_line ann announced
pq=$(free_port)
if timeout 60 "$driver" -p "$pq" -b "127.0.0.1:$pb" -n 2 \
    -l "$ih_theirs" -t 50 >"$tmp/lookup" 2>&1 &&
    grep -q "^peer 127.0.0.1:7777$" "$tmp/lookup"; then
	ok "our lookup finds their announce"
else
	not_ok "our lookup finds their announce" "$(cat "$tmp/lookup")"
fi

# pierd on the DHT: it announces each access key's daily hash (computed
# here apart from the C code) at its listen port, with implied_port.
pp=$(free_port)
"$pierd" --state-dir "$tmp/pierd" --listen "127.0.0.1:$pp" --no-lan \
	--no-port-mapping --log-level debug --dht-bootstrap "127.0.0.1:$pb" \
	>"$tmp/pierd.log" 2>&1 &
pid=$!
check "pierd starts its DHT node on UDP at its TCP port" \
	wait_for 10 grep -q "dht: on UDP 127.0.0.1:$pp, bootstrap" "$tmp/pierd.log"
key=$("$pierd" key show --state-dir "$tmp/pierd" 2>/dev/null)
ih=$(python3 "$(dirname "$0")/fixtures/dht-hash.py" "$key")
check "pierd announces the admin key's daily hash" \
	wait_for 20 grep -q "dht: announced $ih" "$tmp/pierd.log"
js find "$(free_port)" "127.0.0.1:$pb" lookup "$ih"
out=$(cat "$tmp/find" 2>/dev/null)
check "their lookup of the hash finds pierd at its listen port" \
	wait_for 40 has_line find "peer 127.0.0.1:$pp$"
out=$("$pierd" status --state-dir "$tmp/pierd" --json 2>&1)
check "pierd status tells the DHT node's state" \
	python3 -c 'import json,sys; d=json.loads(sys.argv[1])["dht"]
sys.exit(0 if d["port"] == int(sys.argv[2]) and d["nodes"] >= 1 and
    d["announced"] >= 1 else 1)' "$out" "$pp"
kill -TERM "$pid"; wait "$pid"
check "the routing table is saved at exit" test -s "$tmp/pierd/dht.dat"
"$pierd" --state-dir "$tmp/pierd" --listen "127.0.0.1:$pp" --no-lan \
	--no-port-mapping --no-dht >"$tmp/pierd2.log" 2>&1 &
pid=$!
wait_for 10 grep -q " ready: " "$tmp/pierd2.log"
out=$(cat "$tmp/pierd2.log")
check "--no-dht: no DHT node, no UDP socket" eval \
	'! has "$out" "dht: on" && ! ss -Hlun "sport = :$pp" | grep -q .'
kill -TERM "$pid"; wait "$pid"
"$pierd" --state-dir "$tmp/pierd" --listen "127.0.0.1:$pp" --no-lan \
	--no-port-mapping --dht-bootstrap "127.0.0.1:$pb" \
	>"$tmp/pierd3.log" 2>&1 &
pid=$!
check "a restart starts from the saved table" \
	wait_for 10 grep -q "dht: on UDP .* [1-9][0-9]* nodes saved" "$tmp/pierd3.log"
rm -f "$mods/dht-node.mjs"
e2e_done
