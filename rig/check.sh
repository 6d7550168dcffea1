#!/bin/bash
# check.sh: the whole verdict (make check). Sets everything up, checks the series
# statically, runs the full plan on the two-cluster host and the short plan on the one-
# and three-cluster hosts, prints a summary table and, last, "N passed, N failed".
set -u
. "$(dirname "$0")/common.sh"
mkdir -p "$build/results"
rm -f "$build"/results/*.tsv
t0=$(date +%s)
step() {
	local name=$1; shift
	say "$name"
	if ! "$@"; then
		printf '%s\t%s\t%s\n' "setup:$name" fail "see the output above" \
			>>"$build/results/setup.tsv"
		return 1
	fi
}
ok=1
step deps bash "$top/rig/deps.sh" &&
step tree bash "$top/rig/base-tree.sh" &&
step kernel bash "$top/rig/build-kernel.sh" &&
step selftests bash "$top/rig/build-selftests.sh" &&
step guest bash "$top/rig/build-guest.sh" || ok=0

if [ $ok = 1 ]; then
	step series bash "$top/rig/check-series.sh"
	TOPO=2 bash "$top/rig/run-guest.sh" "$top/rig/plans/check.plan" topo2
	TOPO=3 bash "$top/rig/run-guest.sh" "$top/rig/plans/topo.plan" topo3
	TOPO=1 bash "$top/rig/run-guest.sh" "$top/rig/plans/topo.plan" topo1
fi

echo
printf '%-48s %-5s %s\n' TEST RESULT DETAIL
cat "$build"/results/*.tsv | awk -F'\t' '{ printf "%-48s %-5s %s\n", $1, $2, $3 }'
pass=$(cat "$build"/results/*.tsv | awk -F'\t' '$2 == "pass"' | wc -l)
fail=$(cat "$build"/results/*.tsv | awk -F'\t' '$2 == "fail"' | wc -l)
skip=$(cat "$build"/results/*.tsv | awk -F'\t' '$2 == "skip"' | wc -l)
echo
say "make check took $(( $(date +%s) - t0 )) s"
echo "$pass passed, $fail failed, $skip skipped" | tee "$build/summary.txt"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
