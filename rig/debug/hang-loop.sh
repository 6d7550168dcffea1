#!/bin/bash
# hang-loop.sh TAG ROUNDS PAR TOPO [TREE]: ROUNDS rounds of PAR boots at once of
# rig/plans/hang-repeat.plan on the 7.3 kernel (TREE=base: stock), each boot's verdicts
# in build/results/7.3-hl-TAG-R-K.tsv; prints a line per boot and any lockup, warning or
# consistency-check report from its log. VARIANT=.. passes through (for example a kernel
# with rig/debug/kvm-consistency-checks.patch built as build/7.3/kernel-perf). Load the
# host (a kernel build beside it) to see the bug: it shows at host loads of 5 and more.
set -u
cd "$(dirname "$0")/../.."
tag=$1 rounds=$2 par=$3 topo=$4 tree=${5:-}
for r in $(seq 1 "$rounds"); do
	for k in $(seq 1 "$par"); do
		env BASE=7.3 TOPO="$topo" ${tree:+TREE=$tree} \
			bash rig/run-guest.sh hang-repeat "hl-$tag-$r-$k" >/dev/null 2>&1 &
	done
	wait
	for k in $(seq 1 "$par"); do
		f=build/results/7.3-hl-$tag-$r-$k.tsv
		printf '%s %s-%s-%s: %s pass, %s fail\n' "$(date +%T)" "$tag" "$r" "$k" \
			"$(grep -c '	pass' "$f")" "$(grep -c '	fail' "$f")"
		grep -h -m3 'WARNING\|LOCKUP\|BUG:\|INSTR' "build/logs/7.3-hl-$tag-$r-$k.log"
	done
done
