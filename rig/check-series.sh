#!/bin/bash
# check-series.sh: the static checks of patches/, written to build/results/series.tsv:
#  - checkpatch --strict on every patch (0 errors, 0 warnings, 0 checks);
#  - every commit of the series builds on its own (incremental Image builds, in order);
#  - sparse (C=2) and W=1 on every C file under arch/ or virt/ the series touches: no
#    warning.
set -eu
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
	out=$(cd "$tree" && scripts/checkpatch.pl --strict -q --summary-file \
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
n=0
for c in $(git -C "$tree" rev-list --reverse base..HEAD); do
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

# Only what is reported against a file the series touches counts: building one
# object also runs the prepare steps, whose own sparse warnings are not ours.
touched=$(git -C "$tree" diff --name-only base..HEAD | sed 's/[.]/[.]/g' | paste -sd'|')
for f in $(git -C "$tree" diff --name-only --diff-filter=AM base..HEAD -- 'arch/*.c' 'virt/*.c'); do
	o=${f%.c}.o
	log=$build/logs/sparse-$(basename "$o").log
	kmake C=2 W=1 "$o" >"$log" 2>&1 || echo "error: build of $o failed" >>"$log"
	ours=$(grep -E "^(($tree/)?($touched)):[0-9]+:[0-9]+: (warning|error)|^error: build" "$log" || true)
	if [ -n "$ours" ]; then
		result "sparse+W=1:$f" fail "$(printf '%s\n' "$ours" | wc -l) warning(s); see $log"
	else
		result "sparse+W=1:$f" pass
	fi
done
kmake Image >/dev/null 2>&1	# back to the normal flags
