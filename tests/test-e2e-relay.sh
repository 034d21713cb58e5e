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
relay_init relay
cleanup_more() { relay_cleanup; }

ON_RELAY= ON_NODE= ON_CLIENT=
rp=$(free_port)
np=$(free_port)
relay_listen=127.0.0.1:$rp
relay_addr=127.0.0.1:$rp
node_listen=127.0.0.1:$np
client_key_hints=relay
relay_cases
e2e_done
