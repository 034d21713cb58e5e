#!/usr/bin/env bash
# The Debian package, as a user gets it: tools/build-deb builds it (into
# $PIER_BUILD_ROOT/deb, incrementally); its files, modes, control fields
# and maintainer scripts are checked with dpkg-deb; the unit parses
# (systemd-analyze verify) and its exposure score is printed; the bash
# completion completes; then a throwaway container made by `docker
# import` of a Debian 12 minbase root (debootstrap, cached in
# $PIER_DEBROOT, default /var/tmp/pier-debroot) installs it with `apt
# install ./pier_*.deb`, which must pull the libraries from the mirror,
# runs `pierd --version` and `pierd key show`, reinstalls it as an
# upgrade does (the keys stay), removes it (the keys stay, the unit is
# masked) and purges it (/var/lib/pier goes); and in one with systemd as
# init the unit starts, says READY, logs the join key to the journal and
# holds its hardening. The images and containers carry the label
# pier-test=package and are removed at the end.
set -u

. "$(dirname "$0")/e2e-lib.sh"
e2e_init package
src=${PIER_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
for t in meson dpkg-deb dpkg-shlibdeps dpkg-buildflags; do
	if ! command -v "$t" >/dev/null; then
		echo "1..0 # SKIP $t is not installed (apt-get install dpkg-dev)"
		exit 0
	fi
done
img=pier-test/debian-pkg:$$
ctr=pier-e2e-package-$$
cleanup_more() {
	docker rm -f "$ctr" >/dev/null 2>&1
	docker rmi -f "$img" >/dev/null 2>&1
}

# --- the package -------------------------------------------------------
out=$(PIER_DEB_REVISION=1 "$src/tools/build-deb" "$build/deb" 2>"$tmp/build.err")
if [ -f "${out:-/nonexistent}" ]; then
	ok "tools/build-deb builds $(basename "$out") ($(stat -c %s "$out") bytes)"
else
	not_ok "tools/build-deb builds a package" "$(tail -20 "$tmp/build.err")"
	e2e_done
fi
deb=$out
version=$(meson introspect --projectinfo "$build" |
	sed -n 's/.*"version": *"\([^"]*\)".*/\1/p')

dpkg-deb -c "$deb" | awk '{ print $1, $2, $6 }' >"$tmp/files"
want_files() {
	local mode path missing=
	while read -r mode path; do
		grep -qxF -- "$mode root/root ./$path" "$tmp/files" ||
		    missing="$missing $mode $path;"
	done <<-LIST
	-rwxr-xr-x usr/bin/pier
	-rwxr-xr-x usr/sbin/pierd
	-rw-r--r-- lib/systemd/system/pierd.service
	-rw-r--r-- usr/share/man/man1/pier.1.gz
	-rw-r--r-- usr/share/man/man8/pierd.8.gz
	-rw-r--r-- usr/share/bash-completion/completions/pier
	-rw-r--r-- usr/share/bash-completion/completions/pierd
	-rw-r--r-- usr/share/zsh/vendor-completions/_pier
	-rw-r--r-- usr/share/zsh/vendor-completions/_pierd
	-rw-r--r-- usr/share/fish/vendor_completions.d/pier.fish
	-rw-r--r-- usr/share/fish/vendor_completions.d/pierd.fish
	-rw-r--r-- usr/share/doc/pier/copyright
	LIST
	out="missing or wrong:$missing"$'\n'"$(cat "$tmp/files")"
	[ -z "$missing" ]
}
check "the package holds the programs, unit, man pages, completions, owned by root with their modes" want_files
out=$(grep -v -e ' ./usr/' -e ' ./lib/systemd/system/' -e ' ./$' \
	-e ' ./lib/$' -e ' ./lib/systemd/$' "$tmp/files")
check "nothing else: no tests, headers or build leftovers" [ -z "$out" ]

dpkg-deb -f "$deb" >"$tmp/control"
want_control() {
	local d
	out=$(cat "$tmp/control")
	grep -qx "Package: pier" "$tmp/control" &&
	grep -qx "Version: $version-1" "$tmp/control" &&
	grep -qx "Architecture: $(dpkg --print-architecture)" "$tmp/control" || return 1
	for d in libc6 libuv1 libsodium23 libjansson4 libvterm0 libnatpmp1 \
	    libpcre2-8-0 libminiupnpc17 'libcurl4 (>= 7.88.0)' \
	    'libarchive13 (>= 3.6.0)' 'libwebsockets17 (>= 4.1.0)'; do
		grep -q "^Depends:.* $d" "$tmp/control" || return 1
	done
}
check "control: pier $version-1, Depends from the binaries' libraries and the dlopened libcurl4, libarchive13, libwebsockets17" want_control
dpkg-deb -I "$deb" >"$tmp/info"
out=$(cat "$tmp/info")
check "maintainer scripts postinst, prerm, postrm, executable" eval \
	'[ "$(grep -cE "^ +[0-9]+ bytes, +[0-9]+ lines +\* +(postinst|prerm|postrm) " "$tmp/info")" = 3 ]'
for s in postinst prerm postrm; do
	sh -n "$src/tools/dist/debian/$s" || not_ok "sh -n $s"
done

mkdir -p "$tmp/x"
dpkg-deb -x "$deb" "$tmp/x"
out=$("$tmp/x/usr/sbin/pierd" --version 2>&1)
check "the packaged pierd runs here: $out" [ "$out" = "pierd $version" ]

# --- the unit ----------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
	# The unit as shipped, with ExecStart pointing at the extracted pierd
	# (verify checks that it is there and executable).
	sed "s|^ExecStart=/usr/sbin/pierd|ExecStart=$tmp/x/usr/sbin/pierd|" \
		"$tmp/x/lib/systemd/system/pierd.service" >"$tmp/pierd.service"
	out=$(systemd-analyze verify --man=no "$tmp/pierd.service" 2>&1)
	check "systemd-analyze verify pierd.service: no complaint" [ -z "$out" ]
	score=$(systemd-analyze security --offline=yes "$tmp/pierd.service" \
		2>/dev/null | sed -n 's/.*Overall exposure level for pierd.service: \([0-9.]*\).*/\1/p')
	out="score ${score:-none}"
	check "systemd-analyze security: exposure ${score:-?} (at most 3.0)" \
		awk -v s="${score:-99}" 'BEGIN { exit !(s <= 3.0) }'
	grep -qx 'Type=notify' "$tmp/pierd.service" &&
	    grep -qx 'StateDirectory=pier' "$tmp/pierd.service" &&
	    grep -qx 'StateDirectoryMode=0700' "$tmp/pierd.service" &&
	    ok "Type=notify, StateDirectory=pier with mode 0700" ||
	    not_ok "Type=notify, StateDirectory=pier with mode 0700"
else
	skip "systemd-analyze verify" "systemd-analyze is not installed"
fi

# --- completion and man pages ------------------------------------------
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		_${COMP_WORDS[0]}_complete; echo "${COMPREPLY[*]}"' _ "$@"
}
out=$(complete_words "$tmp/x/usr/share/bash-completion/completions/pierd" pierd key "")
check "bash completes pierd key: $out" eval '(for w in create list revoke \
	rotate show disable enable; do has " $out " " $w " || exit 1; done)'
out=$(complete_words "$tmp/x/usr/share/bash-completion/completions/pier" pier ps --a)
check "bash completes pier ps --a: $out" [ "$out" = "--all" ]
out=$(zcat "$tmp/x/usr/share/man/man8/pierd.8.gz")
check "pierd(8) documents every option of pierd --help" eval \
	'for o in $("$tmp/x/usr/sbin/pierd" --help | grep -oE -- "--[a-z-]+" | sort -u); do
		grep -q -- "${o//-/\\\\-}" <<<"$out" || { echo "$o" >&2; exit 1; }; done'

# --- installed with apt on Debian 12 -----------------------------------
root_tar=${PIER_DEBROOT:-/var/tmp/pier-debroot}/bookworm-minbase.tar
debroot() {
	[ -f "$root_tar" ] && return 0
	command -v debootstrap >/dev/null || return 1
	mkdir -p "$(dirname "$root_tar")"
	debootstrap --variant=minbase bookworm "$tmp/root" \
		http://deb.debian.org/debian >"$tmp/debootstrap.log" 2>&1 &&
	tar -C "$tmp/root" -cf "$root_tar.$$" . && mv "$root_tar.$$" "$root_tar"
}
if ! docker version >/dev/null 2>&1; then
	skip "apt install ./pier.deb in Debian 12" "no Docker engine answers"
	e2e_done
fi
if ! debroot; then
	skip "apt install ./pier.deb in Debian 12" \
		"no Debian root: debootstrap is missing or the mirror is unreachable"
	e2e_done
fi
docker import -c 'LABEL pier-test=package' "$root_tar" "$img" >/dev/null
cp "$deb" "$tmp/pier.deb"
# Each step prints a marker line the checks below look for.
docker run --name "$ctr" --label pier-test=package --network host \
	-v "$tmp/pier.deb:/root/$(basename "$deb"):ro" "$img" sh -c '
	cd /root
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null 2>&1 || echo "APT-UPDATE-FAILED"
	apt-get install -y -q --no-install-recommends ./pier_*.deb 2>&1 |
		sed -n "s/^Setting up \([a-z0-9.+-]*\)[: ].*/SETUP \1/p"
	echo "VERSION $(pierd --version)"
	echo "KEY $(pierd key show --no-addr)"
	echo "WANTS $(readlink /etc/systemd/system/multi-user.target.wants/pierd.service)"
	echo "PIER $(pier version)"
	stat -c "STATE %a" /var/lib/pier
	pierd key list | sed -n "s/^admin .* \([0-9a-f]\{16\}\) .*/ADMIN \1/p"
	dpkg -i ./pier_*.deb >/dev/null 2>&1 && echo REINSTALLED
	pierd key list | sed -n "s/^admin .* \([0-9a-f]\{16\}\) .*/ADMIN \1/p"
	apt-get remove -y -q pier >/dev/null 2>&1 && echo REMOVED
	[ -f /var/lib/pier/node.key ] && echo "KEPT"
	echo "MASK $(readlink /etc/systemd/system/pierd.service)"
	apt-get purge -y -q pier >/dev/null 2>&1 && echo PURGED
	[ -e /var/lib/pier ] || echo "STATE-GONE"
	' >"$tmp/inst.log" 2>&1
out=$(cat "$tmp/inst.log")
if has "$out" APT-UPDATE-FAILED; then
	skip "apt install ./pier.deb in Debian 12" "the Debian mirror is unreachable"
	e2e_done
fi
missing=
for d in libuv1 libsodium23 libjansson4 libvterm0 libnatpmp1 \
    libminiupnpc17 libcurl4 libarchive13 libwebsockets17 pier; do
	grep -q "^SETUP $d$" "$tmp/inst.log" || missing="$missing $d"
done
check "apt install ./pier.deb pulls its libraries and sets it up${missing:+ (missing:$missing)}" [ -z "$missing" ]
check "pierd --version runs there" grep -qx "VERSION pierd $version" "$tmp/inst.log"
check "pierd key show prints a join key there" grep -qE '^KEY pier1[a-z0-9]{100,}$' "$tmp/inst.log"
check "postinst enabled pierd.service (no systemd running: no start)" \
	grep -qx "WANTS /lib/systemd/system/pierd.service" "$tmp/inst.log"
check "pier runs there" grep -qx "PIER pier $version" "$tmp/inst.log"
check "the state directory is 0700" grep -qx "STATE 700" "$tmp/inst.log"
check "an upgrade keeps the keys" eval \
	'grep -q REINSTALLED "$tmp/inst.log" && [ "$(grep -c "^ADMIN " "$tmp/inst.log")" = 2 ] &&
	[ "$(grep "^ADMIN " "$tmp/inst.log" | sort -u | wc -l)" = 1 ]'
check "remove keeps /var/lib/pier and masks the unit" eval \
	'grep -q REMOVED "$tmp/inst.log" && grep -q KEPT "$tmp/inst.log" &&
	grep -qx "MASK /dev/null" "$tmp/inst.log"'
check "purge deletes /var/lib/pier" eval \
	'grep -q PURGED "$tmp/inst.log" && grep -q STATE-GONE "$tmp/inst.log"'

# --- under systemd -----------------------------------------------------
# The same root with systemd as init, the package installed by apt, booted
# in a container of its own network (its pierd listens on its own
# loopback) with the engine's socket: the unit must start, say READY with
# its status, log the join key to the journal, keep its hardening, serve
# pier ps, and stop cleanly.
docker rm -f "$ctr" >/dev/null
docker run --name "$ctr" --label pier-test=package --network host \
	-v "$tmp/pier.deb:/root/$(basename "$deb"):ro" "$img" sh -c '
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null 2>&1
	apt-get install -y -q --no-install-recommends systemd systemd-sysv \
	    /root/pier_*.deb >/dev/null 2>&1 && echo INSTALLED' >"$tmp/sd.log" 2>&1
if ! grep -q INSTALLED "$tmp/sd.log"; then
	not_ok "apt install systemd and pier" "$(cat "$tmp/sd.log")"
	e2e_done
fi
docker commit -c 'LABEL pier-test=package' "$ctr" "$img-sd" >/dev/null
docker rm -f "$ctr" >/dev/null
sdctr=$ctr-sd
sd_boot() {
	docker run -d --name "$sdctr" --label pier-test=package "$@" \
		--network none --tmpfs /run --tmpfs /run/lock \
		-v /sys/fs/cgroup:/sys/fs/cgroup -e container=docker \
		-v /var/run/docker.sock:/var/run/docker.sock \
		"$img-sd" /lib/systemd/systemd >/dev/null 2>&1
}
sd_up() {
	state=$(docker exec "$sdctr" systemctl is-system-running 2>/dev/null)
	[ "$state" = running ] || [ "$state" = degraded ]
}
cleanup_more() {
	docker rm -f "$ctr" "$sdctr" >/dev/null 2>&1
	docker rmi -f "$img-sd" "$img" >/dev/null 2>&1
}
# --privileged where the engine may grant every capability; else all it
# can (an engine that is itself confined lacks some).
sd_boot --privileged || { docker rm -f "$sdctr" >/dev/null 2>&1;
	sd_boot --cap-add ALL --cap-drop SYS_RESOURCE \
	    --security-opt seccomp=unconfined --security-opt apparmor=unconfined; }
if ! wait_for 30 sd_up; then
	skip "pierd.service under systemd" \
		"systemd does not boot in a container on this engine (${state:-no state})"
	e2e_done
fi
sx() { docker exec "$sdctr" sh -c "$1" 2>&1; }
active() { [ "$(sx 'systemctl is-active pierd')" = active ]; }
out=$(sx 'systemctl status pierd --no-pager')
check "apt's postinst enabled pierd.service and systemd started it" wait_for 20 active
out=$(sx 'systemctl show -p StatusText pierd')
check "Type=notify: pierd said READY with its status ($out)" \
	has "$out" "StatusText=listening; node key "
out=$(sx 'journalctl -u pierd --no-pager')
check "journalctl -u pierd shows the join key line" has "$out" "join with: pier join pier1"
out=$(sx 'grep -E "^(Uid|CapBnd|NoNewPrivs|Seccomp):" /proc/$(systemctl show -p MainPID --value pierd)/status' | tr -s '\t' ' ')
check "the unit's hardening holds: root, SETUID|SETGID only, no new privileges, seccomp" eval \
	'has "$out" "CapBnd: 00000000000000c0" && has "$out" "NoNewPrivs: 1" &&
	has "$out" "Seccomp: 2"'
out=$(sx 'stat -c %a /var/lib/pier')
check "StateDirectory /var/lib/pier is 0700" [ "$out" = 700 ]
out=$(sx 'export PIER_CONFIG_DIR=/tmp/c; pier join "$(pierd key show)" && pier ps')
check "pier ps through the unit's node reaches the engine's socket" has "$out" "$sdctr"
out=$(sx 'systemctl stop pierd; systemctl is-active pierd; journalctl -u pierd --no-pager | tail -n 3')
check "systemctl stop: a clean stop" eval \
	'has "$out" "inactive" && has "$out" " info  stopped" && ! has "$out" "failed"'
e2e_done
