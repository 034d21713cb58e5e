#!/usr/bin/env bash
# End to end: the gate of `pier ui` (tools/pier/ui-http.c), with curl.
# One pierd on 127.0.0.1 joined by a client that runs `pier ui
# --no-browser`; the printed URL's token gives the cookie (HttpOnly,
# SameSite=Strict) and a redirect to the bare URL, and every answer
# carries the page's CSP; the files come gzip'd to who takes it. Refused with 403: no token, a wrong token, a
# wrong Host (DNS rebinding), a wrong Origin, the WebSocket upgrade
# without the cookie or from another origin; other methods get 405. A
# second pier ui on the same port says why and exits 1; Ctrl-C ends
# pier ui with exit 0. Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init ui

P() { PIER_CONFIG_DIR=$tmp/client "$pier" "$@"; }
# code ARGS...: the HTTP status curl gets.
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# ws ARGS...: the status of a WebSocket upgrade of /ws.
ws() {
	code -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
		-H 'Sec-WebSocket-Version: 13' \
		-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
		-H 'Sec-WebSocket-Protocol: pier-ui' --max-time 3 "$@" "$base/ws"
}

port=$(free_port)
check "pierd starts" e2e_pierd "$tmp/s" "$port" "$dockerhost" \
	"$tmp/pierd.log"
key=$("$pierd" key show --state-dir "$tmp/s" 2>/dev/null)
out=$(P join "$key" --name n1 2>&1)
check "the client joins the node" has "$out" "joined n1"

PIER_CONFIG_DIR=$tmp/client "$pier" ui --no-browser >"$tmp/ui.out" 2>&1 &
uipid=$!
pids+=($uipid)
wait_for 5 grep -q 'token=' "$tmp/ui.out"
url=$(grep -o 'http://[^ ]*' "$tmp/ui.out")
out=$(cat "$tmp/ui.out")
check "pier ui prints a loopback URL with a token" \
	has "$url" '^http://127\.0\.0\.1:[0-9]*/?token=[0-9a-f]\{32\}$'
base=${url%%/\?*}
token=${url##*token=}
hostport=${base#http://}

out=$(curl -si "$url")
check "the token's URL sets the cookie and redirects to the bare URL" \
	eval 'has "$out" "^HTTP/1.1 303" && has "$out" "location: $base/" &&
	has "$out" "set-cookie: pier_ui=$token; Path=/; HttpOnly; SameSite=Strict"'
out=$(curl -si -b "pier_ui=$token" "$base/")
check "with the cookie the page is served, with its CSP" \
	eval 'has "$out" "^HTTP/1.1 200" && has "$out" "<html\|<!doctype" &&
	has "$out" "content-security-policy: default-src '"'none'"'; script-src '"'self'"'" &&
	has "$out" "connect-src '"'self'"' ws://$hostport;" &&
	has "$out" "referrer-policy: no-referrer"'
out=$(code -b "pier_ui=$token" "$base/xterm.mjs")
check "xterm.js is embedded in pier" [ "$out" = 200 ]
curl -s -b "pier_ui=$token" "$base/xterm.mjs" >"$tmp/plain"
out=$(curl -s -D - -o "$tmp/gz" -b "pier_ui=$token" \
	-H 'Accept-Encoding: gzip, deflate' "$base/xterm.mjs")
check "a client that takes gzip gets the same file gzip'd, 3 times smaller" \
	eval 'has "$out" "content-encoding: gzip" &&
	gzip -dc "$tmp/gz" | cmp -s - "$tmp/plain" &&
	[ $(($(stat -c %s "$tmp/gz") * 3)) -lt "$(stat -c %s "$tmp/plain")" ]'

for path in / /app.js /xterm.mjs /ws /nothing; do
	out=$(code "$base$path")
	check "no token: $path is refused" [ "$out" = 403 ]
done
out=$(code -b "pier_ui=0123456789abcdef0123456789abcdef" "$base/")
check "a wrong token in the cookie is refused" [ "$out" = 403 ]
# The token with its last digit changed (0 becomes 1, the rest 0).
case $token in *0) wrong=${token%?}1 ;; *) wrong=${token%?}0 ;; esac
out=$(code "$base/?token=$wrong")
check "a wrong token in the URL is refused" [ "$out" = 403 ]
out=$(code "$base/?token=${token}0")
check "a longer token is refused" [ "$out" = 403 ]
out=$(code -H "Host: attacker.example:${hostport#*:}" "$url")
check "another Host (DNS rebinding) is refused, token or not" [ "$out" = 403 ]
out=$(code -b "pier_ui=$token" -H "Origin: http://attacker.example" \
	"$base/")
check "another Origin is refused, cookie or not" [ "$out" = 403 ]
out=$(code -b "pier_ui=$token" -H "Origin: http://$hostport" "$base/")
check "the page's own Origin is accepted" [ "$out" = 200 ]
out=$(code -b "pier_ui=$token" -X POST "$base/")
check "POST is refused" [ "$out" = 405 ]

out=$(ws -H "Origin: http://$hostport")
check "the WebSocket upgrade without the token is refused" [ "$out" != 101 ]
out=$(ws -b "pier_ui=$token" -H "Origin: http://attacker.example")
check "the WebSocket upgrade from another Origin is refused" \
	[ "$out" != 101 ]
out=$(ws -b "pier_ui=$token")
check "the WebSocket upgrade without an Origin is refused" [ "$out" != 101 ]
out=$(ws -b "pier_ui=$token" -H "Origin: http://$hostport")
check "the WebSocket upgrade with cookie and Origin is accepted" \
	[ "$out" = 101 ]

out=$(PIER_CONFIG_DIR=$tmp/client timeout 10 "$pier" ui --no-browser \
	--listen "$hostport" 2>&1)
rc=$?
out="rc $rc: $out"
check "a taken port is refused with why, exit 1" eval '[ $rc -eq 1 ] &&
	has "$out" "pier ui: cannot listen on $hostport: Address already in use"'
out=$(PIER_CONFIG_DIR=$tmp/client "$pier" ui --no-browser --listen \
	127.0.0.1 2>&1)
rc=$?
out="rc $rc: $out"
check "--listen without a port is a usage error" eval '[ $rc -eq 2 ] &&
	has "$out" "expected ADDR:PORT"'

kill -INT $uipid
wait $uipid
rc=$?
out="exit $rc"
check "Ctrl-C ends pier ui with exit 0" [ $rc -eq 0 ]
e2e_done
