#!/usr/bin/env bash
# End to end: one client key shut out while the access key it used stays
# in use. Two clients join with the same viewer key; an admin revokes one
# client's key through `pier key revoke --client` (its live connection
# closes at once, its next connections are turned away with the reason,
# the other client carries on), lists it, takes it back; the same from
# the node's host with `pierd key`, with the running node acting on the
# keys file; every change in the audit log; usage mistakes. A revoked
# client hears the node's reason everywhere: ping, info, ps, logs, and a
# join, which fails and saves nothing. Prints TAP.
# Needs no Docker engine: only pierd and pier from $PIER_BUILD_ROOT.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init clients

ms() { date +%s%3N; }
fpre='^[a-z2-7]\{4\}-[a-z2-7]\{4\}-[a-z2-7]\{4\}-[a-z2-7]\{4\}$'

port=$(free_port)
state=$tmp/state
log=$tmp/pierd.log
adm=$tmp/admin
ca=$tmp/laptop
cb=$tmp/desktop
check "pierd starts" start_node "$state" "$port" "unix://$tmp/no-docker.sock" "$log"
key=$("$pierd" key show --state-dir "$state" 2>/dev/null)
PIER_CONFIG_DIR=$adm "$pier" join "$key" --name n1 >/dev/null 2>&1
vkey=$(PIER_CONFIG_DIR=$adm "$pier" key create --name shared --role viewer 2>/dev/null)
PIER_CONFIG_DIR=$ca "$pier" join "$vkey" --name n1 >/dev/null 2>&1
PIER_CONFIG_DIR=$cb "$pier" join "$vkey" --name n1 >/dev/null 2>&1
cp "$ca/nodes.json" "$tmp/ca-book"

# pier key self: this client's key, as the node's audit names it.
fpa=$(PIER_CONFIG_DIR=$ca "$pier" key self 2>"$tmp/err"); rc=$?
out="$fpa $(cat "$tmp/err")"
check "pier key self prints this client's fingerprint alone on stdout" \
	eval '[ $rc -eq 0 ] && has "$fpa" "$fpre" && has "$(cat $tmp/err)" "pier key revoke --client $fpa"'
fpb=$(PIER_CONFIG_DIR=$cb "$pier" key self 2>/dev/null)
PIER_CONFIG_DIR=$ca "$pier" key self --json >"$tmp/self.json" 2>&1
out=$(cat "$tmp/self.json")
check "pier key self --json has the fingerprint and the public key" \
	[ "$(jget "$tmp/self.json" '"%s %d" % (j["id"], len(j["public_key"]))')" = "$fpa 64" ]
out=$(PIER_CONFIG_DIR=$ca "$pier" ping -c 1 2>&1)
check "the node's log names the client by that fingerprint" \
	eval 'grep -q "client $fpa \"" "$log"'

# Revoked through the protocol while both clients are connected.
PIER_CONFIG_DIR=$ca "$pier" ping -c 100 -i 0.1 >"$tmp/ping-a" 2>&1 &
pa=$!
PIER_CONFIG_DIR=$cb "$pier" ping -c 25 -i 0.1 >"$tmp/ping-b" 2>&1 &
pb=$!
wait_for 10 eval 'grep -qs "seq=1 " "$tmp/ping-a" && grep -qs "seq=1 " "$tmp/ping-b"'
out=$(PIER_CONFIG_DIR=$adm "$pier" key revoke --client "$fpa" 2>&1); rc=$?
t0=$(ms)
check "pier key revoke --client revokes" \
	eval '[ $rc -eq 0 ] && has "$out" "Revoked client key $fpa on n1"'
wait $pa; rc=$?
dt=$(( $(ms) - t0 ))
out=$(cat "$tmp/ping-a")
check "the revoked client's live connection closes at once (${dt} ms)" \
	eval '[ $rc -ne 0 ] && [ $dt -lt 3000 ] && has "$out" "seq=1 "'
check "... and its ping says why, in the node's words" \
	eval 'has "$out" "^pier ping: n1: node closed the connection: client key \($fpa \)\?was revoked" && ! has "$out" "Broken pipe"'
wait $pb; rc=$?
out=$(cat "$tmp/ping-b")
check "the other client with the same access key carries on" \
	eval '[ $rc -eq 0 ] && has "$out" "seq=25 "'
check "the node logs the revocation and the closed connection" \
	eval 'grep -q "client key $fpa revoked; closed 1 connection" "$log"'
t0=$(ms)
out=$(PIER_CONFIG_DIR=$ca "$pier" info 2>&1); rc=$?
dt=$(( $(ms) - t0 ))
check "a new connection of the revoked client is refused with the reason (${dt} ms)" \
	eval '[ $rc -eq 1 ] && [ $dt -lt 3000 ] && has "$out" "^pier info: n1: node closed the connection: client key $fpa was revoked on this node$"'
out=$(PIER_CONFIG_DIR=$ca "$pier" ping -c 2 2>&1); rc=$?
check "pier ping of the revoked client shows the node's reason, not a broken pipe" \
	eval '[ $rc -eq 1 ] && has "$out" "^pier ping: n1: node closed the connection: client key $fpa was revoked on this node$" && ! has "$out" "Broken pipe"'
out=$(PIER_CONFIG_DIR=$ca "$pier" ps 2>&1); rc=$?
check "pier ps names the reason for that node" \
	eval '[ $rc -eq 1 ] && has "$out" "n1: .*node closed the connection: client key $fpa was revoked"'
out=$(PIER_CONFIG_DIR=$ca "$pier" logs n1/web 2>&1); rc=$?
check "pier logs names the reason" \
	eval '[ $rc -eq 1 ] && has "$out" "^pier logs: n1: node closed the connection: client key $fpa was revoked on this node$" && ! has "$out" "handles left open"'
# The revoked client joins again, into a fresh address book: refused.
cr=$tmp/laptop-again
mkdir -m 700 "$cr" && cp "$ca/client.key" "$cr/"
t0=$(ms)
out=$(PIER_CONFIG_DIR=$cr "$pier" join "$vkey" --name again 2>&1); rc=$?
dt=$(( $(ms) - t0 ))
check "pier join by a revoked client fails with the node's reason (${dt} ms)" \
	eval '[ $rc -eq 1 ] && [ $dt -lt 3000 ] && has "$out" "^pier join: node closed the connection: client key $fpa was revoked on this node$" && ! has "$out" "joined"'
check "... and saves nothing" eval '[ ! -e "$cr/nodes.json" ]'
out=$(PIER_CONFIG_DIR=$ca "$pier" join "$vkey" --name n1 2>&1); rc=$?
check "joining again over a known node, refused, leaves its entry as it was" \
	eval '[ $rc -eq 1 ] && has "$out" "node closed the connection" && cmp -s "$ca/nodes.json" "$tmp/ca-book"'
check "the node logs the refusal" \
	eval 'grep -q "client $fpa (key shared) refused: its client key is revoked" "$log"'
out=$(PIER_CONFIG_DIR=$cb "$pier" ping -c 1 2>&1); rc=$?
check "the other client still connects" [ $rc -eq 0 ]
out=$(PIER_CONFIG_DIR=$adm "$pier" key revoke --client "$fpa" 2>&1); rc=$?
check "revoking it twice says so" \
	eval '[ $rc -eq 1 ] && has "$out" "revoked already"'
out=$(PIER_CONFIG_DIR=$adm "$pier" key list --clients 2>&1); rc=$?
check "pier key list --clients shows it" \
	eval '[ $rc -eq 0 ] && has "$out" "^CLIENT KEY  *REVOKED" && has "$out" "^$fpa  *.*ago$"'
PIER_CONFIG_DIR=$adm "$pier" key list --clients --json >"$tmp/cl.json" 2>&1
out=$(cat "$tmp/cl.json")
check "pier key list --clients --json gives one row" \
	[ "$(jget "$tmp/cl.json" '" ".join(c["id"] for c in j)')" = "$fpa" ]
PIER_CONFIG_DIR=$adm "$pier" key list --json >"$tmp/keys.json" 2>&1
out=$(cat "$tmp/keys.json")
check "pier key list --json still lists only the access keys" \
	[ "$(jget "$tmp/keys.json" '" ".join(sorted(k["name"] for k in j))')" = "admin shared" ]
fpadm=$(PIER_CONFIG_DIR=$adm "$pier" key self 2>/dev/null)
out=$(PIER_CONFIG_DIR=$adm "$pier" key revoke --client "$fpadm" 2>&1); rc=$?
check "an admin cannot revoke the client key it calls with" \
	eval '[ $rc -eq 1 ] && has "$out" "client key of this connection"'
out=$(PIER_CONFIG_DIR=$cb "$pier" key revoke --client "$fpadm" 2>&1); rc=$?
check "a viewer may not revoke client keys" \
	eval '[ $rc -eq 1 ] && has "$out" "needs the admin role"'

# Taken back through the protocol.
out=$(PIER_CONFIG_DIR=$adm "$pier" key unrevoke "$fpa" 2>&1); rc=$?
check "pier key unrevoke takes it back" \
	eval '[ $rc -eq 0 ] && has "$out" "Client key $fpa may connect to n1 again"'
out=$(PIER_CONFIG_DIR=$ca "$pier" ping -c 1 2>&1); rc=$?
check "the client connects again" [ $rc -eq 0 ]
out=$(PIER_CONFIG_DIR=$adm "$pier" key unrevoke "$fpa" 2>&1); rc=$?
check "taking back a key that is not revoked says so" \
	eval '[ $rc -eq 1 ] && has "$out" "is not revoked"'

# From the node's host: the running node acts on the keys file.
PIER_CONFIG_DIR=$cb "$pier" ping -c 100 -i 0.1 >"$tmp/ping-b2" 2>&1 &
pb=$!
wait_for 10 grep -qs "seq=1 " "$tmp/ping-b2"
out=$("$pierd" key revoke --client "${fpb^^}" --state-dir "$state" 2>&1); rc=$?
t0=$(ms)
check "pierd key revoke --client takes the fingerprint in either case" \
	eval '[ $rc -eq 0 ] && has "$out" "revoked client key $fpb"'
wait $pb; rc=$?
dt=$(( $(ms) - t0 ))
out=$(cat "$tmp/ping-b2")
check "the running node closes that client's connection (${dt} ms)" \
	eval '[ $rc -ne 0 ] && [ $dt -lt 3000 ] && grep -q "client key $fpb revoked; closed 1 connection" "$log"'
out=$("$pierd" key list --clients --state-dir "$state" 2>&1); rc=$?
check "pierd key list --clients shows it" \
	eval '[ $rc -eq 0 ] && has "$out" "^$fpb  *20[0-9-]*T"'
out=$(PIER_CONFIG_DIR=$ca "$pier" ping -c 1 2>&1); rc=$?
check "the first client, taken back, is not affected" [ $rc -eq 0 ]
reads=$(grep -c "access keys re-read" "$log")
out=$("$pierd" key unrevoke "$fpb" --state-dir "$state" 2>&1); rc=$?
check "pierd key unrevoke takes it back" \
	eval '[ $rc -eq 0 ] && has "$out" "may connect again"'
# The node re-reads the keys file a moment after it changes.
wait_for 10 eval '[ "$(grep -c "access keys re-read" "$log")" -gt "$reads" ]'
out=$(PIER_CONFIG_DIR=$cb "$pier" ping -c 1 2>&1); rc=$?
check "the second client connects again" [ $rc -eq 0 ]

# Every change is in the audit log.
a="$state/audit.log"
out=$(cat "$a")
check "the audit log has the revocation and the take-back by the admin" \
	eval 'grep "\"method\":\"key.revoke\"" "$a" | grep "\"target\":\"client $fpa\"" | grep -q "\"outcome\":\"ok\"" && grep "\"method\":\"key.unrevoke\"" "$a" | grep "\"target\":\"client $fpa\"" | grep -q "\"outcome\":\"ok\""'
check "the audit log has the changes made with pierd key" \
	eval 'grep "\"client\":\"pierd key\"" "$a" | grep "\"method\":\"key.revoke\"" | grep -q "\"target\":\"client $fpb\"" && grep "\"client\":\"pierd key\"" "$a" | grep -q "\"method\":\"key.unrevoke\""'
check "the audit log has the refused revocations" \
	eval 'grep "\"method\":\"key.revoke\"" "$a" | grep -q "\"outcome\":\"refused\""'

# Usage mistakes.
out=$(PIER_CONFIG_DIR=$adm "$pier" key revoke --client not-a-key 2>&1); rc=$?
check "a client key that is not one is a clear error" \
	eval '[ $rc -eq 1 ] && has "$out" "fingerprint"'
out=$("$pierd" key unrevoke nope --state-dir "$state" 2>&1); rc=$?
check "pierd key unrevoke of a non-key is a usage error" \
	eval '[ $rc -eq 2 ] && has "$out" "is not a client key"'
out=$(PIER_CONFIG_DIR=$adm "$pier" key list --client 2>&1); rc=$?
check "pier key list --client is a usage error" [ $rc -eq 2 ]
out=$(PIER_CONFIG_DIR=$adm "$pier" key --help 2>&1); rc=$?
check "pier key --help names the client subcommands" \
	eval '[ $rc -eq 0 ] && has "$out" "unrevoke \[NODE\] CLIENT-KEY" && has "$out" "revoke \[NODE\] --client CLIENT-KEY"'
out=$("$pierd" key --help 2>&1); rc=$?
check "pierd key --help names them too" \
	eval '[ $rc -eq 0 ] && has "$out" "unrevoke" && has "$out" "NAME | --client CLIENT-KEY"'

e2e_stop_nodes
out=$(cat "$log")
check "the node's log shows no sanitizer report" eval '! has "$out" "Sanitizer"'
e2e_done
