#!/usr/bin/env bash
# Finding a node by its key alone, in network namespaces (nat-lib.sh): a
# private mainline DHT of bittorrent-dht 11.0.12 nodes (a real
# implementation we did not write) on the public host, a node on a
# server of the public segment ("srv"), a client behind a cone NAT. The
# join key carries no address: the client asks the DHT for the key's
# daily hash, joins at the address found (kind dht), and finds the node
# again after its address changes; `pier config set dht false` turns the
# lookup off. Also measures the time from `pier join KEY` to the node's
# first reply (median of 10 fresh clients). Then a node behind a cone
# NAT joined by the key alone through a hole punch (a DHT knock, then a
# TCP simultaneous open), and behind a symmetric NAT a clear failure.
# Needs root, node and npm;
# otherwise a TAP skip. Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
. "$(dirname "$0")/nat-lib.sh"
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip_all "needs root for ip netns"
command -v iptables >/dev/null || skip_all "no iptables"
command -v node >/dev/null || skip_all "no node (tools/setup-deps --test)"
command -v npm >/dev/null || skip_all "no npm (tools/setup-deps --test)"

e2e_init reach
mods=$build/npm-dht
if [ ! -d "$mods/node_modules/bittorrent-dht" ]; then
	mkdir -p "$mods"
	timeout 180 npm install --prefix "$mods" --cache "$mods/.cache" \
	    --no-audit --no-fund bittorrent-dht@11.0.12 >"$tmp/npm.log" 2>&1 ||
		skip_all "npm install bittorrent-dht failed: $(tail -n 1 "$tmp/npm.log")"
fi
fx=$mods/dht-node-$$.mjs
cp "$(dirname "$0")/fixtures/dht-node.mjs" "$fx"
cleanup_more() {
	[ -n "${sock:-}" ] && tmux -L "$sock" kill-server 2>/dev/null
	nat_down
	rm -f "$fx"
}
if ! nat_up -a cone -b cone 2>"$tmp/nat.err"; then
	skip_all "cannot build the NAT topology: $(head -1 "$tmp/nat.err")"
fi
SRV=$NAT_PUB_NET.20
SRV2=$NAT_PUB_NET.21
nat_add_public srv "$SRV" || skip_all "cannot add the server's namespace"

# js NAME PORT BOOT ARGS...: one bittorrent-dht node on the public host.
js() {
	local name=$1; shift
	nat_exec pub env DHT_HOST="$NAT_PUB" node "$fx" "$@" \
		>"$tmp/$name" 2>&1 &
	pids+=($!)
}
has_line() { grep -q -- "$2" "$tmp/$1" 2>/dev/null; }
# jq_path JSON KEY: a top-level string of a JSON text.
jq_path() {
	python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2]) or "")' "$1" "$2"
}
js boot 6881 none
check "the DHT's first node listens on the public host" \
	wait_for 20 has_line boot listening
for i in 2 3 4; do
	js "n$i" "688$i" "$NAT_PUB:6881"
done
check "three more bootstrap from it" wait_for 30 has_line n4 ready
BOOT=$NAT_PUB:6881

# C CFG ARGS...: pier on host-b (behind NAT B) with config dir CFG.
C() {
	local c=$1; shift
	nat_exec host-b env PIER_CONFIG_DIR="$c" PIER_DHT_BOOTSTRAP="$BOOT" \
		"$pier" "$@"
}

nat_exec srv "$pierd" --state-dir "$tmp/node" --listen 0.0.0.0:7437 \
	--no-port-mapping --log-level debug --dht-bootstrap "$BOOT" \
	>"$tmp/node.log" 2>&1 &
pids+=($!)
check "the node on the server starts its DHT node" \
	wait_for 10 grep -q "dht: on UDP 0.0.0.0:7437" "$tmp/node.log"
check "... and announces its key's hash" \
	wait_for 20 grep -q "dht: announced" "$tmp/node.log"
key=$("$pierd" key show --state-dir "$tmp/node" --no-addr 2>/dev/null)
check "the join key carries no address" eval '! has "$key" "@"'

# Joined by the key alone.
out=$(C "$tmp/c1" join "$key" --name n 2>&1)
check "a key without addresses joins through the DHT (kind dht)" \
	has "$out" "^joined n: .* at dht+$SRV:7437$"
out=$(C "$tmp/c1" doctor n --json 2>&1)
check "pier doctor: path dht, the address found on the DHT" \
	python3 -c 'import json,sys; j=json.loads(sys.argv[1])
sys.exit(0 if j["path"] == "dht" and j["address"] == "dht+" + sys.argv[2]
    else 1)' "$out" "$SRV:7437"
out=$(C "$tmp/c1" ping n -c 2 -i 0.05 2>&1)
check "pier ping works at the address found" has "$out" "2 sent, 2 received"

# Off: the client does not ask the DHT.
C "$tmp/c2" config set dht false
out=$(C "$tmp/c2" config set dht maybe 2>&1)
check "pier config set dht takes true or false only" has "$out" "true or false"
t0=${EPOCHREALTIME/./}
out=$(C "$tmp/c2" join "$key" --name n 2>&1)
ms=$(since "$t0")
check "with dht false, a key without addresses is not found (${ms} ms)" \
	eval '! has "$out" "joined" && has "$out" "no node answered on the LAN" && ! has "$out" "the DHT"'

# The server's address changes: the node announces again, the client
# (whose cached address is gone) finds it at the new one.
# (As a new DHCP lease: the old address goes, then the new one comes;
# deleting a primary address takes its secondaries along.)
nat_exec srv ip addr del "$SRV/24" dev eth0
nat_exec srv ip addr add "$SRV2/24" dev eth0
check "the node sees its addresses changed and announces again" \
	wait_for 20 grep -q "addresses changed; announcing again" "$tmp/node.log"
# An announce after the change (near midnight the first round alone
# announces two days' hashes, so a count of lines would not do).
wait_for 20 eval 'sed -n "/addresses changed; announcing again/,\$p" \
	"$tmp/node.log" | grep -q "dht: announced"'
t0=${EPOCHREALTIME/./}
out=$(C "$tmp/c1" ping n -c 1 2>&1)
ms=$(since "$t0")
check "after the move the client finds the node again (${ms} ms)" \
	has "$out" "1 sent, 1 received"
out=$(C "$tmp/c1" doctor n --json 2>&1)
check "... doctor: the new address, found on the DHT" \
	python3 -c 'import json,sys; j=json.loads(sys.argv[1])
c = [x for x in j["candidates"] if x["address"] == "dht+" + sys.argv[2]]
sys.exit(0 if c and c[0]["ok"] and c[0]["found"] in ("dht", "cache")
    else 1)' "$out" "$SRV2:7437"

# Time from `pier join KEY` to the node's first reply, fresh clients.
times=()
for i in $(seq 10); do
	t0=${EPOCHREALTIME/./}
	C "$tmp/m$i" join "$key" --name n >/dev/null 2>&1 || break
	times+=($(since "$t0"))
done
med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 5p)
out="times: ${times[*]}"
check "10 fresh clients join by the key alone (median ${med:-?} ms: ${times[*]})" \
	[ "${#times[@]}" -eq 10 ]

# A node behind NAT A (cone, unsolicited packets dropped), the client
# behind NAT B (cone): nothing gets in either way unsolicited. The key
# alone finds the node's address on the DHT; the client knocks, the node
# finds the knock within its poll interval and the two TCP connects
# from the two listen-side ports meet.
nat_exec host-a "$pierd" --state-dir "$tmp/nodea" --listen 0.0.0.0:7437 \
	--no-port-mapping --log-level debug --dht-bootstrap "$BOOT" \
	>"$tmp/nodea.log" 2>&1 &
pids+=($!)
check "the node behind NAT A announces its key's hash" \
	wait_for 20 grep -q "dht: announced" "$tmp/nodea.log"
keya=$("$pierd" key show --state-dir "$tmp/nodea" --no-addr 2>/dev/null)
t0=${EPOCHREALTIME/./}
out=$(C "$tmp/p1" join "$keya" --name a 2>&1)
ms=$(since "$t0")
check "cone to cone, key alone: joined through a hole punch (${ms} ms)" \
	has "$out" "^joined a: .* at punch+$NAT_A_WAN:7437$"
out=$(grep "punch: " "$tmp/nodea.log")
check "... the node found the knock and connected from port 7437" \
	has "$out" "punch: connected to punch+$NAT_B_WAN:"
out=$(C "$tmp/p1" doctor a --json 2>&1)
check "pier doctor says the path is punched" \
	eval '[ "$(jq_path "$out" path)" = punched ]'
if docker version >/dev/null 2>&1; then
	ctr=pier-e2e-reach-$$
	docker run -d --name "$ctr" --label pier.test=1 \
		pier-test/busybox:latest sleep 100000 >/dev/null 2>&1
	out=$(C "$tmp/p1" exec "a/$ctr" sh -c 'echo punched-$((6*7))' 2>&1)
	docker rm -f "$ctr" >/dev/null 2>&1
	check "a command in a container runs over the punched path" \
		has "$out" "^punched-42$"
else
	skip "a command in a container runs over the punched path" "no engine"
fi

# Relayed first, then punched, with a shell open: the server is node A's
# relay too; the client (DHT off, so the key's relay hint is its way in)
# joins through it while NAT B drops every TCP packet between the two
# NATs. A shell opens over the relay; the client asks for a punch and
# fails while the rule holds. The rule goes: the next try punches
# through, and the shell's connection moves onto the punched path under
# its records, the shell still open and answering.
if docker version >/dev/null 2>&1 && command -v tmux >/dev/null; then
	sock=pier-reach-$$
	cfg=$tmp/r1
	rk=$(nat_exec srv "$pierd" key create --role relay --name ra \
		--state-dir "$tmp/node" 2>/dev/null | grep '^pier1')
	"$pierd" relay add "$rk" --state-dir "$tmp/nodea" >/dev/null 2>&1
	check "node A keeps a relay link to the server" \
		wait_for 20 eval '"$pierd" relay ls --state-dir "$tmp/nodea" | grep -q " up$"'
	keyr=$(nat_exec host-a "$pierd" key show --state-dir "$tmp/nodea" 2>/dev/null)
	check "... and its key names the relay" has "$keyr" "relay+"
	block=(FORWARD -s "$NAT_HOST_B" -d "$NAT_A_WAN" -p tcp -j DROP)
	nat_exec nat-b iptables -I "${block[@]}"
	C "$cfg" config set dht false
	out=$(C "$cfg" join "$keyr" --name ra 2>&1)
	check "with punching blocked the client joins through the relay" \
		has "$out" "^joined ra: .* at relay+"
	ctr=pier-e2e-reach-sh-$$
	docker run -d --name "$ctr" --label pier.test=1 \
		pier-test/busybox:latest sleep 100000 >/dev/null 2>&1
	tstart sh1 ip netns exec "$(nat_ns host-b)" env \
		PIER_CONFIG_DIR="$cfg" "$pier" shell "ra/$ctr"
	tprompt sh1
	tkeys sh1 'echo one-$((1+1))' Enter
	check "a shell opens over the relay" twait sh1 "^one-2"
	check "... the client asks for a punch; the node connects to it" \
		wait_for 20 grep -q "punch: a path move to $NAT_B_WAN:" "$tmp/nodea.log"
	out=$(C "$cfg" doctor ra --json 2>&1)
	check "pier doctor, still blocked: path relay, not moved, says why" \
		python3 -c 'import json,sys; j=json.loads(sys.argv[1])
m = j["moved"]
sys.exit(0 if j["path"] == "relay" and m and not m["moved"] and
    "no direct path" in m["why"] else 1)' "$out"
	nat_exec nat-b iptables -D "${block[@]}"
	t0=${EPOCHREALTIME/./}
	check "unblocked: the shell's connection moves to a punched path" \
		wait_for 90 grep -q "moved here from .* via " "$tmp/nodea.log"
	ms=$(since "$t0")
	tkeys sh1 'echo two-$((2+2))' Enter
	check "... the shell stays open and answers (moved ${ms} ms after the unblock)" \
		twait sh1 "^two-4"
	check "... without a reconnect" eval '! tscreen sh1 | grep -q reconnecting'
	out=$(C "$cfg" doctor ra --json 2>&1)
	check "pier doctor: relayed, then moved to punched, with the time" \
		python3 -c 'import json,sys; j=json.loads(sys.argv[1])
m = j["moved"]
sys.exit(0 if j["path"] == "punched" and m["moved"] and
    m["from"].startswith("relay+") and m["after_ms"] > 0 and
    j["reach"]["relayed"]["moved"] >= 2 else 1)' "$out"
	mv_ms=$(python3 -c 'import json,sys; print(round(json.loads(sys.argv[1])["moved"]["after_ms"]))' "$out" 2>/dev/null)
	ok "time from a relayed connection to its move onto a punched path: ${mv_ms:-?} ms"
	tkeys sh1 'exit' Enter
	check "the shell ends as usual" twait sh1 "PIER_RC=0"
	docker rm -f "$ctr" >/dev/null 2>&1
	tmux -L "$sock" kill-server 2>/dev/null
else
	skip "a relayed shell moves to a punched path" "no engine or no tmux"
fi

# Symmetric NAT B: the knock's address is no mapping the node's SYNs
# can use, and without a relay the join fails, saying what it tried.
nat_down
kill "${pids[@]}" 2>/dev/null
wait 2>/dev/null
pids=()
if ! nat_up -a cone -b symmetric 2>"$tmp/nat.err"; then
	not_ok "the cone/symmetric topology" "$(cat "$tmp/nat.err")"
	e2e_done
fi
BOOT=$NAT_PUB:6881
js boot2 6881 none
wait_for 20 has_line boot2 listening
for i in 2 3; do
	js "s$i" "688$i" "$BOOT"
done
wait_for 30 has_line s3 ready
nat_exec host-a "$pierd" --state-dir "$tmp/nodea" --listen 0.0.0.0:7437 \
	--no-port-mapping --log-level debug --dht-bootstrap "$BOOT" \
	>"$tmp/nodea2.log" 2>&1 &
pids+=($!)
wait_for 20 grep -q "dht: announced" "$tmp/nodea2.log"
t0=${EPOCHREALTIME/./}
out=$(C "$tmp/p2" join "$keya" --name a 2>&1)
ms=$(since "$t0")
check "cone to symmetric without a relay: the join fails (${ms} ms)" \
	eval '! has "$out" "^joined"'
check "... naming what it tried: the address the DHT gave" \
	has "$out" "asked the LAN and the DHT, which gave $NAT_A_WAN:7437"
check "... saying the client's NAT is symmetric" has "$out" "(symmetric)"
check "... in under 15 s" [ "$ms" -lt 15000 ]

# The same with a relay: node A gives its relay (a server on the public
# segment) its key's relay hash; the relay announces it on the DHT, and
# a key without addresses finds the node through it.
nat_add_public srv "$SRV" || not_ok "the relay's namespace" ""
nat_exec srv "$pierd" --state-dir "$tmp/relay2" --listen 0.0.0.0:7437 \
	--no-port-mapping --log-level debug --dht-bootstrap "$BOOT" \
	>"$tmp/relay2.log" 2>&1 &
pids+=($!)
wait_for 20 grep -q "dht: on UDP" "$tmp/relay2.log"
rk=$(nat_exec srv "$pierd" key create --role relay --name ra \
	--state-dir "$tmp/relay2" 2>/dev/null | grep '^pier1')
"$pierd" relay ls --state-dir "$tmp/nodea" 2>/dev/null | awk 'NR > 1 {print $1}' |
	while read -r old; do
		"$pierd" relay rm "$old" --state-dir "$tmp/nodea" >/dev/null 2>&1
	done
"$pierd" relay add "$rk" --name r2 --state-dir "$tmp/nodea" >/dev/null 2>&1
check "symmetric with a relay: node A links to the relay" \
	wait_for 20 eval '"$pierd" relay ls --state-dir "$tmp/nodea" | grep -q " up$"'
rh=$(python3 "$(dirname "$0")/fixtures/dht-hash.py" --relay "$keya")
check "... the relay announces the node's relay hash on the DHT" \
	wait_for 20 grep -q "dht: announced $rh" "$tmp/relay2.log"
t0=${EPOCHREALTIME/./}
out=$(C "$tmp/p3" join "$keya" --name a 2>&1)
ms=$(since "$t0")
check "a key without addresses joins through the relay found on the DHT (${ms} ms)" \
	has "$out" "^joined a: .* at relay+$SRV:7437$"
out=$(C "$tmp/p3" doctor a --json 2>&1)
check "pier doctor: path relay (cached from the join); no move across a symmetric NAT" \
	python3 -c 'import json,sys; j=json.loads(sys.argv[1])
sys.exit(0 if j["path"] == "relay" and j["found"] in ("dht", "cache") and
    not j["moved"]["moved"] else 1)' "$out"
e2e_done
