#!/bin/bash
# bench.sh: make bench. On the mainline base, under QEMU -icount shift=0,sleep=off (one
# emulated instruction per nanosecond, idle periods included, so every figure is an
# instruction count that does not depend on the host's speed or load), on two and three
# clusters, three kernels without the debug options:
#   stock     the base without the series (TREE=base VARIANT=perf)
#   series    the series (VARIANT=perf)
#   recreate  the series plus rig/bench/recreate-$BASE.patch, the other design: one event,
#             re-created on every change of PMU (VARIANT=recreate); its boot also runs
#             vpmu_hybrid, which it must pass
# Each boot runs guest/pmu-bench (and pmu-hop, for the chart); rig/bench-table.sh turns
# the figures into the table (printed, and written into docs/figures.md between its
# bench markers), rig/bench-plot.sh into the charts (docs/img/*.png, with gnuplot).
# Two boots at a time: under -icount the figures do not depend on the machine's load.
# Takes about 20 min on two cores once the kernels are built (boots of 1.5 to 4 min).
# The raw figures: build/bench/bench.tsv (kernel, PMUs, row, mode, value, unit, boot).
# BENCH_REPORT=1: no builds and no boots, only the table and the charts again from the
# logs of the last run.
set -eu
. "$(dirname "$0")/common.sh"
[ "$base" = "$mainline" ] || { echo "bench: the mainline base only ($mainline)" >&2; exit 2; }
out=$root/bench
mkdir -p "$out"
boots=${BENCH_BOOTS:-2}
if [ "${BENCH_REPORT:-0}" = 0 ]; then
	bash "$top/rig/deps.sh" bench
	BASE=$base bash "$top/rig/fetch-source.sh"
	BASE=$base bash "$top/rig/base-tree.sh"
	# The series' kernels are built from the tree as it is, the re-creating one from branch
	# work: both must be the series.
	if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
	   [ "$(git -C "$tree" rev-parse HEAD)" != "$(git -C "$tree" rev-parse work)" ]; then
		echo "bench: $build_rel/linux is not the series (uncommitted edits, or not on work)" >&2
		exit 1
	fi
	# The series' kernel (default configuration) first: build-guest.sh and
	# build-selftests.sh build against it.
	BASE=$base bash "$top/rig/build-kernel.sh"
	BASE=$base bash "$top/rig/build-selftests.sh"
	BASE=$base bash "$top/rig/build-guest.sh"
	BASE=$base VARIANT=perf bash "$top/rig/build-kernel.sh"
	BASE=$base TREE=base VARIANT=perf bash "$top/rig/build-kernel.sh"
	BASE=$base VARIANT=recreate bash "$top/rig/build-kernel.sh"

	# boot KERNEL TOPO N: bench boot N; its log is build/logs/$BASE-bench-KERNEL-topoTOPO-N.log.
	boot() {
		local k=$1 t=$2 n=$3 plan=bench env=(VARIANT=perf)
		case "$k" in
		stock) env+=(TREE=base) ;;
		recreate) env=(VARIANT=recreate) plan=bench-recreate ;;
		esac
		env "${env[@]}" BASE=$base TOPO=$t bash "$top/rig/run-guest.sh" $plan "bench-$k-topo$t-$n" \
			>"$out/boot-$k-topo$t-$n.out" 2>&1 || echo "bench: $k on $t clusters ($n) failed" \
			>>"$out/failed"
		echo "[$(date +%H:%M:%S)] bench: $k on $t clusters, boot $n, done"
	}
	# Each kernel boots BENCH_BOOTS times (default 2) on each topology: the migration rows
	# move by several hundred instructions within a boot and up to about 1,400 from one boot
	# to the next (docs/figures.md); the table gives the mean of the boots' medians.
	rm -f "$out/failed"
	for t in 2 3; do TOPO=$t bash "$top/rig/make-dtb.sh"; done
	say "bench: $((6 * boots)) boots, two at a time (1.5 to 4 min each)"
	for n in $(seq "$boots"); do
		boot series 2 $n & boot stock 2 $n & wait
		boot recreate 2 $n & boot series 3 $n & wait
		boot stock 3 $n & boot recreate 3 $n & wait
	done
fi

: >"$out/bench.tsv"
for k in stock series recreate; do
	for t in 2 3; do
		for n in $(seq "$boots"); do
			sed -n 's/^# bench\t/\t/p' "$root/logs/$base-bench-$k-topo$t-$n.log" |
				awk -F'\t' -v k=$k -v t=$t -v n=$n \
					'{ print k "\t" t "\t" $2 "\t" $3 "\t" $4 "\t" $5 "\t" n }'
		done
	done
done >"$out/bench.tsv"
if [ -f "$out/failed" ]; then
	cat "$out/failed" >&2
	grep -h -E '^(not ok|# FAIL)' "$root"/results/$base-bench-*.tsv 2>/dev/null >&2 || true
	awk -F'\t' '$2 == "fail"' "$root"/results/$base-bench-*.tsv >&2
	exit 1
fi
bash "$top/rig/bench-table.sh" "$out/bench.tsv" "$top/docs/figures.md"
bash "$top/rig/bench-plot.sh" "$out" "$top/docs/img"
