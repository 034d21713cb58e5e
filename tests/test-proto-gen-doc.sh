#!/usr/bin/env bash
# proto-gen-doc: --check passes on docs/PROTOCOL.md as committed, fails
# on a copy whose generated block went stale, and a rewrite restores the
# copy byte for byte; a file without the markers is refused. TAP output.
#   test-proto-gen-doc.sh PATH-TO-proto-gen-doc
set -u
gen=$1
doc=${PIER_SOURCE_ROOT:-.}/docs/PROTOCOL.md
# A sanitizer report must not pass for the exit status 1 of a refusal.
export ASAN_OPTIONS=${ASAN_OPTIONS:-}:exitcode=86
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-}:exitcode=86
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0
# Reports one case: ok if the command given succeeds.
check() {
	local what=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		sed 's/^/# /' "$tmp/out"
		fails=$((fails + 1))
	fi
}
# Succeeds if the command given fails (without crashing).
not() {
	"$@"
	[ $? -eq 1 ]
}
echo 1..5
check "the committed doc is current" "$gen" --check "$doc"
sed 's/^- role: admin$/- role: viewer/' "$doc" >"$tmp/stale.md"
check "a stale copy differs" not cmp -s "$doc" "$tmp/stale.md"
check "--check fails on it" not "$gen" --check "$tmp/stale.md"
check "a rewrite restores it" bash -c \
    "'$gen' '$tmp/stale.md' && cmp '$doc' '$tmp/stale.md'"
printf '# nothing generated here\n' >"$tmp/bare.md"
check "a file without markers is refused" not "$gen" "$tmp/bare.md"
exit $((fails > 0))
