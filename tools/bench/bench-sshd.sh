# Sourced by the benches that compare with `docker -H ssh://`: a private
# sshd on 127.0.0.1 for the docker CLI to reach the local engine through.
#
#   bench_sshd DIR NAME   starts it with its files in DIR (made here);
#                         sets ssh_host (ssh://root@127.0.0.1:PORT), ssh_path
#                         (a PATH whose first `ssh` uses DIR's config) and
#                         ssh_pid (sshd, for the caller's cleanup to kill);
#                         NAME prefixes its error messages. Exits on failure.
#
# A host key, a client key and its authorized_keys, an sshd_config
# (127.0.0.1, a free port, keys only, no PAM), sshd -D in the background.
# The docker CLI (28.x here) reads no ssh options from the environment and
# ssh reads ~/.ssh/config from the passwd entry, not $HOME, so the CLI gets
# a PATH whose first `ssh` is a two-line wrapper adding `-F DIR/ssh_config`
# (the key, the pinned host key, BatchMode).

bench_sshd() {
	local sd=$1 who=$2 sport f
	for f in /usr/sbin/sshd ssh ssh-keygen; do
		command -v $f >/dev/null || { echo "$who: no $f" \
			"(tools/setup-deps --test installs openssh-server)" >&2
			exit 1; }
	done
	mkdir -p "$sd/bin" && chmod 700 "$sd"
	ssh-keygen -q -t ed25519 -N '' -f "$sd/host_key" || exit 1
	ssh-keygen -q -t ed25519 -N '' -f "$sd/id" || exit 1
	cp "$sd/id.pub" "$sd/authorized_keys"
	sport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat >"$sd/sshd_config" <<-EOF
		Port $sport
		ListenAddress 127.0.0.1
		HostKey $sd/host_key
		PidFile $sd/sshd.pid
		AuthorizedKeysFile $sd/authorized_keys
		PermitRootLogin prohibit-password
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM no
		StrictModes no
	EOF
	echo "[127.0.0.1]:$sport $(cut -d' ' -f1,2 "$sd/host_key.pub")" \
		>"$sd/known_hosts"
	cat >"$sd/ssh_config" <<-EOF
		Host *
		  IdentityFile $sd/id
		  IdentitiesOnly yes
		  UserKnownHostsFile $sd/known_hosts
		  GlobalKnownHostsFile /dev/null
		  StrictHostKeyChecking yes
		  BatchMode yes
		  LogLevel ERROR
	EOF
	printf '#!/bin/sh\nexec %s -F %s "$@"\n' "$(command -v ssh)" \
		"$sd/ssh_config" >"$sd/bin/ssh"
	chmod +x "$sd/bin/ssh"
	mkdir -p /run/sshd	# sshd's privilege separation directory
	/usr/sbin/sshd -t -f "$sd/sshd_config" || exit 1
	/usr/sbin/sshd -D -e -f "$sd/sshd_config" >"$sd/sshd.log" 2>&1 &
	ssh_pid=$!
	for _ in $(seq 100); do
		ss -ltn 2>/dev/null | grep -q "127.0.0.1:$sport " && break
		sleep 0.05
	done
	ssh_host=ssh://root@127.0.0.1:$sport
	ssh_path=$sd/bin:$PATH
	PATH=$ssh_path docker -H "$ssh_host" version \
		-f '{{.Server.Version}}' >/dev/null 2>"$sd/err" || {
		echo "$who: docker -H $ssh_host fails:" >&2
		cat "$sd/err" "$sd/sshd.log" >&2; exit 1; }
	echo "sshd on 127.0.0.1:$sport ($(ssh -V 2>&1))"
}
