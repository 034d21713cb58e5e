#!/usr/bin/env bash
# End to end: a node reached only through a relay, on loopback. Two
# pierds (a relay and a node that keeps a relay link to it), the real
# engine, and a client whose join key names nothing but the relay: join,
# ps, 64 MiB of exec output intact, doctor's path, a wrong key's silence,
# 3,000 hostile splice requests with the relay's memory flat, a shell
# that survives a relay restart, and removing the relay. The same cases
# run across NAT routers in test-e2e-nat.sh. Prints TAP.
set -u

. "$(dirname "$0")/e2e-lib.sh"
. "$(dirname "$0")/relay-cases.sh"
e2e_init relay
e2e_need_docker
e2e_need_tmux
fixtures=${PIER_SOURCE_ROOT:-$(dirname "$0")/..}/tests/fixtures
tag=e2e-relay-$$
ctr=pier-$tag
sock=pier-$tag

cleanup_more() {
	tmux -L "$sock" kill-server 2>/dev/null
	docker ps -aq --filter "label=pier.test.case=$tag" |
		xargs -r docker rm -f >/dev/null 2>&1
}

ON_RELAY= ON_NODE= ON_CLIENT=
rp=$(free_port)
np=$(free_port)
relay_listen=127.0.0.1:$rp
relay_addr=127.0.0.1:$rp
node_listen=127.0.0.1:$np
client_key_hints=relay
relay_cases
e2e_done
