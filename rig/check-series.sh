#!/bin/bash
# check-series.sh: the static checks of the base's series (patches/, or patches/$BASE/
# for the backport), written to build/results/$BASE-series.tsv:
#  - checkpatch --strict on every patch (0 errors, 0 warnings, 0 checks);
#  - every commit of the series builds on its own (incremental Image builds, in order; a
#    commit that changes only documents, selftests or MAINTAINERS is its parent's build);
#  - on the mainline (SPARSE=1: on the backport too, SPARSE=0: on neither), sparse (C=2)
#    and W=1 on every C file under arch/ or virt/ the series touches: no finding that
#    base does not have already;
#  - make bench's rig/bench/recreate-$BASE.patch (the mainline's) applies on the series.
# Passes are remembered in build/$BASE/verdicts/, keyed by everything they depend on
# (the patch file, or the commit's tree, the base's tree, the kernel configuration, the
# compiler and this script), and reported again without redoing the work: only the
# commits that changed are built again.
set -eu
unset TREE VARIANT	# always the series tree and its kernel
. "$(dirname "$0")/common.sh"
res=$root/results/$base-series.tsv
logs=$root/logs
vdir=$build/verdicts
mkdir -p "$root/results" "$logs" "$vdir"
: >"$res"
result() { printf '%s\t%s\t%s\n' "$base-series:$1" "$2" "${3:-}" >>"$res"; }
want_sparse=${SPARSE:-}
[ -n "$want_sparse" ] || { [ "$base" = "$mainline" ] && want_sparse=1 || want_sparse=0; }

patches=$(grep -v '^#' "$pdir/series" || true)
if [ -z "$patches" ]; then
	say "series: ${pdir_rel}series is empty: nothing to check (the rig runs stock $base)"
	result series skip "${pdir_rel}series is empty: stock $(git -C "$tree" log -1 --format=%s base)"
	exit 0
fi

sha() { sha1sum | cut -c1-16; }
basetree=$(git -C "$tree" rev-parse 'base^{tree}')
env_key=$( { cat "$0" "$kobj/.config"; ${cross}gcc --version; sparse --version 2>&1; } | sha)
# kept KIND KEY: true when a pass of KIND with KEY is remembered; keep: remember it.
kept() { [ -f "$vdir/$1-$2" ]; }
keep() { touch "$vdir/$1-$2"; }

n=0
for p in $patches; do
	n=$((n + 1))
	key=$( { cat "$pdir/$p"; echo "$basetree"; cat "$0"; } | sha)
	if kept checkpatch "$key"; then
		result "checkpatch:$n" pass "$p (kept)"
		continue
	fi
	# The tree is a tarball with one commit and no upstream history, so
	# checkpatch cannot look up the ids of Fixes: tags; that check alone is off.
	# Debian's python3 first: checkpatch's spdxcheck.py needs its python3-ply.
	out=$(cd "$tree" && PATH=/usr/bin:$PATH scripts/checkpatch.pl --strict -q --summary-file \
		--ignore UNKNOWN_COMMIT_ID "$pdir/$p" 2>&1 || true)
	if [ -z "$out" ]; then
		result "checkpatch:$n" pass "$p"
		keep checkpatch "$key"
	else
		printf '%s\n' "$out" >"$logs/$base-checkpatch-$n.log"
		result "checkpatch:$n" fail "$p: $(printf '%s\n' "$out" | tail -n 1 | sed "s|^$pdir/$p ||")"
	fi
done

if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
	result "bisect" fail "$build_rel/linux has uncommitted edits; commit or stash them"
	exit 0
fi
head=$(git -C "$tree" rev-parse HEAD)
commits=$(git -C "$tree" rev-list --reverse base..HEAD)
touched=$(git -C "$tree" diff --name-only base..HEAD | sed 's/[.]/[.]/g' | paste -sd'|')
cfiles=$(git -C "$tree" diff --name-only --diff-filter=AM base..HEAD -- 'arch/*.c' 'virt/*.c')
sparse_key=$(echo "$basetree $(git -C "$tree" rev-parse 'HEAD^{tree}') $env_key" | sha)
sparse_base_key=$(echo "$basetree $cfiles $touched $env_key" | sha)
sparse=0
[ "$want_sparse" = 1 ] && ! kept sparse "$sparse_key" && sparse=1

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

moved=
if [ "$sparse" = 1 ] && ! [ -f "$vdir/sparse-base-$sparse_base_key" ]; then
	git -C "$tree" checkout -q base
	moved=1
	findings >"$vdir/sparse-base-$sparse_base_key"
fi
# image_neutral C: true when commit C changes no file the Image is built from, only
# documents (.rst, .txt), selftests and MAINTAINERS; its build is then its parent's.
# Renames count as a deletion and an addition, so that both paths are looked at.
image_neutral() {
	local files
	files=$(git -C "$tree" diff --no-renames --name-only "$1^" "$1") || return 1
	! printf '%s\n' "$files" |
		grep -qvE '^(Documentation/.*[.](rst|txt)|tools/testing/selftests/.*|MAINTAINERS)$'
}
n=0
prev_ok=
built=	# the last commit built (or kept) whose build stands for the next neutral one
for c in $commits; do
	n=$((n + 1))
	subject=$(git -C "$tree" log -1 --format=%s "$c")
	key=$(echo "$(git -C "$tree" rev-parse "$c^{tree}") $env_key" | sha)
	if kept build "$key"; then
		result "build:$n" pass "$subject (kept)"
		prev_ok=1 built=$n
		continue
	fi
	if [ -n "$prev_ok" ] && image_neutral "$c"; then
		result "build:$n" pass "$subject (no Image source changed: commit $built's build)"
		keep build "$key"
		continue
	fi
	git -C "$tree" checkout -q "$c"
	moved=1
	t=$(date +%s)
	if kmake Image >"$logs/$base-bisect-$n.log" 2>&1 &&
	   ! grep -q 'warning:' "$logs/$base-bisect-$n.log"; then
		result "build:$n" pass "$subject ($(( $(date +%s) - t )) s)"
		keep build "$key"
		prev_ok=1 built=$n
	else
		result "build:$n" fail "$subject; see ${logs#$top/}/$base-bisect-$n.log"
		prev_ok=
	fi
done
if [ -n "$moved" ]; then
	git -C "$tree" checkout -q work
	[ "$(git -C "$tree" rev-parse HEAD)" = "$head" ] || git -C "$tree" checkout -q "$head"
fi
[ "$n" -eq "$(grep -cv '^#' "$pdir/series")" ] ||
	result "build" fail "$n commit(s) built, ${pdir_rel}series has $(grep -cv '^#' "$pdir/series")"

# What the series adds to what base already had (the same finding on base
# cancels one on HEAD; arch/arm64/kvm/arm.c has sparse findings on base).
if [ "$sparse" = 1 ]; then
	moved=1
	findings >"$logs/$base-sparse-head.log"
	cp "$vdir/sparse-base-$sparse_base_key" "$logs/$base-sparse-base.log"
	comm -13 "$logs/$base-sparse-base.log" "$logs/$base-sparse-head.log" >"$logs/$base-sparse-new.log"
	if [ -s "$logs/$base-sparse-new.log" ]; then
		result "sparse+W=1" fail "$(wc -l <"$logs/$base-sparse-new.log") new finding(s); see ${logs#$top/}/$base-sparse-new.log"
	else
		result "sparse+W=1" pass "$(echo $cfiles | wc -w) file(s), $(wc -l <"$logs/$base-sparse-base.log") finding(s) already on base"
		keep sparse "$sparse_key"
	fi
elif [ "$want_sparse" = 1 ]; then
	result "sparse+W=1" pass "$(echo $cfiles | wc -w) file(s) (kept)"
fi
# Back to HEAD with the normal flags.
[ -z "$moved" ] || kmake Image >/dev/null 2>&1
# make bench's re-creating design (rig/bench/recreate-$BASE.patch) must still apply on the
# series, or make bench would stop at its kernel.
if [ -f "$top/rig/bench/recreate-$base.patch" ]; then
	if git -C "$tree" apply --check "$top/rig/bench/recreate-$base.patch" 2>"$logs/$base-bench-patch.log"; then
		result "bench-patch" pass "rig/bench/recreate-$base.patch applies on the series"
	else
		result "bench-patch" fail "rig/bench/recreate-$base.patch does not apply; see ${logs#$top/}/$base-bench-patch.log"
	fi
fi
