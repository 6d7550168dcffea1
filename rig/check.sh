#!/bin/bash
# check.sh: the whole verdict (make check), on both bases.
#  - the mainline (rig/mainline-version, patches/): fetch, tree, kernel, selftests,
#    guest programs; checkpatch, per-patch builds, sparse and W=1; the full plan on the
#    two-cluster host, the short plan on the one- and three-cluster hosts;
#  - the backport (rig/base-version, patches/6.12/): tree, kernel, selftests, guest
#    programs; checkpatch and per-patch builds; the short plan on two and three clusters.
# A base whose series is empty runs stock. A base whose setup fails is reported and
# the other one still runs. Prints one summary table and, last,
# "N passed, N failed, N skipped" (also in build/summary.txt).
set -u
unset BASE TREE VARIANT
. "$(dirname "$0")/common.sh"
mkdir -p "$root/results" "$root/logs"
rm -f "$root"/results/*.tsv "$root/summary.txt"
times=$root/logs/check-times.txt
: >"$times"
t0=$(date +%s)

# step BASE NAME COMMAND...: a setup step; its failure is a result of its own.
step() {
	local b=$1 name=$2 t=$(date +%s) rc=0
	shift 2
	say "$b: $name"
	BASE=$b "$@" || rc=$?
	printf '%-6s %-10s %4d s%s\n' "$b" "$name" $(( $(date +%s) - t )) \
		"$([ $rc = 0 ] || echo " (failed)")" >>"$times"
	if [ $rc != 0 ]; then
		printf '%s\t%s\t%s\n' "$b-setup:$name" fail "see the output above" \
			>>"$root/results/$b-setup.tsv"
	fi
	return $rc
}
# boot BASE TOPO PLAN: one boot; its results are in build/results/BASE-topoN.tsv.
boot() {
	local t=$(date +%s)
	BASE=$1 TOPO=$2 bash "$top/rig/run-guest.sh" "$3" "topo$2" || true
	printf '%-6s %-10s %4d s\n' "$1" "topo$2" $(( $(date +%s) - t )) >>"$times"
}

step rig deps bash "$top/rig/deps.sh" || true

b=$mainline
step $b fetch bash "$top/rig/fetch-source.sh" &&
step $b tree bash "$top/rig/base-tree.sh" &&
step $b kernel bash "$top/rig/build-kernel.sh" &&
step $b selftests bash "$top/rig/build-selftests.sh" &&
step $b guest bash "$top/rig/build-guest.sh" &&
{
	step $b series bash "$top/rig/check-series.sh"
	boot $b 2 check
	boot $b 1 topo
	boot $b 3 topo
}

b=$backport
step $b tree bash "$top/rig/base-tree.sh" &&
step $b kernel bash "$top/rig/build-kernel.sh" &&
step $b selftests bash "$top/rig/build-selftests.sh" &&
step $b guest bash "$top/rig/build-guest.sh" &&
{
	step $b series bash "$top/rig/check-series.sh"
	boot $b 2 topo
	boot $b 3 topo
}

# The mainline's results first.
results() {
	local f
	for f in "$root"/results/rig-*.tsv "$root/results/$mainline-"*.tsv "$root/results/$backport-"*.tsv; do
		[ -f "$f" ] && cat "$f"
	done
}
echo
printf '%-52s %-5s %s\n' TEST RESULT DETAIL
results | awk -F'\t' '{ printf "%-52s %-5s %s\n", $1, $2, $3 }'
pass=$(results | awk -F'\t' '$2 == "pass"' | wc -l)
fail=$(results | awk -F'\t' '$2 == "fail"' | wc -l)
skip=$(results | awk -F'\t' '$2 == "skip"' | wc -l)
echo
cat "$times"
say "make check took $(( $(date +%s) - t0 )) s"
echo "$pass passed, $fail failed, $skip skipped" | tee "$root/summary.txt"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
