#!/bin/bash
# check-series.sh: the static checks of patches/, written to build/results/series.tsv:
#  - checkpatch --strict on every patch (0 errors, 0 warnings, 0 checks);
#  - every commit of the series builds on its own (incremental Image builds, in order);
#  - sparse (C=2) and W=1 on every C file under arch/ or virt/ the series touches: no
#    finding that base does not have already.
set -eu
unset TREE VARIANT	# always the series tree and its kernel
. "$(dirname "$0")/common.sh"
res=$build/results/series.tsv
mkdir -p "$build/results" "$build/logs"
: >"$res"
result() { printf '%s\t%s\t%s\n' "$1" "$2" "${3:-}" >>"$res"; }

patches=$(grep -v '^#' "$top/patches/series" || true)
if [ -z "$patches" ]; then
	say "series: patches/series is empty; nothing to check (the rig runs stock 6.12)"
	exit 0
fi

n=0
for p in $patches; do
	n=$((n + 1))
	# build/linux is a tarball with one commit and no upstream history, so
	# checkpatch cannot look up the ids of Fixes: tags; that check alone is off.
	# Debian's python3 first: checkpatch's spdxcheck.py needs its python3-ply.
	out=$(cd "$tree" && PATH=/usr/bin:$PATH scripts/checkpatch.pl --strict -q --summary-file \
		--ignore UNKNOWN_COMMIT_ID "$top/patches/$p" 2>&1 || true)
	if [ -z "$out" ]; then
		result "checkpatch:$n" pass "$p"
	else
		printf '%s\n' "$out" >"$build/logs/checkpatch-$n.log"
		result "checkpatch:$n" fail "$p: $(printf '%s\n' "$out" | tail -n 1)"
	fi
done

if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
	result "bisect" fail "build/linux has uncommitted edits; commit or stash them"
	exit 0
fi
head=$(git -C "$tree" rev-parse HEAD)
touched=$(git -C "$tree" diff --name-only base..HEAD | sed 's/[.]/[.]/g' | paste -sd'|')
cfiles=$(git -C "$tree" diff --name-only --diff-filter=AM base..HEAD -- 'arch/*.c' 'virt/*.c')

# sparse (C=2) and W=1 on the C files the series touches, at the checked-out
# commit: the findings against files the series touches, line numbers dropped.
# Building one object also runs the prepare steps, whose findings are not ours.
findings() {
	local f
	for f in $cfiles; do
		[ -f "$tree/$f" ] || continue
		kmake C=2 W=1 "${f%.c}.o" 2>&1 || echo "error: build of ${f%.c}.o failed"
	done | grep -E "^(($tree/)?($touched)):[0-9]+:[0-9]+: (warning|error)|^error: build" |
		sed -E "s|^$tree/||; s/:[0-9]+:[0-9]+:/:/" | sort
}

commits=$(git -C "$tree" rev-list --reverse base..HEAD)
git -C "$tree" checkout -q base
findings >"$build/logs/sparse-base.log"
n=0
for c in $commits; do
	n=$((n + 1))
	git -C "$tree" checkout -q "$c"
	if kmake Image >"$build/logs/bisect-$n.log" 2>&1 &&
	   ! grep -q 'warning:' "$build/logs/bisect-$n.log"; then
		result "build:$n" pass "$(git -C "$tree" log -1 --format=%s "$c")"
	else
		result "build:$n" fail "$(git -C "$tree" log -1 --format=%s "$c"); see build/logs/bisect-$n.log"
	fi
done
git -C "$tree" checkout -q work
[ "$(git -C "$tree" rev-parse HEAD)" = "$head" ] || git -C "$tree" checkout -q "$head"
[ "$n" -eq "$(grep -cv '^#' "$top/patches/series")" ] ||
	result "build" fail "$n commit(s) built, patches/series has $(grep -cv '^#' "$top/patches/series")"

# What the series adds to what base already had (the same finding on base
# cancels one on HEAD; arch/arm64/kvm/arm.c has sparse findings on base).
findings >"$build/logs/sparse-head.log"
comm -13 "$build/logs/sparse-base.log" "$build/logs/sparse-head.log" >"$build/logs/sparse-new.log"
if [ -s "$build/logs/sparse-new.log" ]; then
	result "sparse+W=1" fail "$(wc -l <"$build/logs/sparse-new.log") new finding(s); see build/logs/sparse-new.log"
else
	result "sparse+W=1" pass "$(echo $cfiles | wc -w) file(s), $(wc -l <"$build/logs/sparse-base.log") finding(s) already on base"
fi
kmake Image >/dev/null 2>&1	# back to the normal flags
