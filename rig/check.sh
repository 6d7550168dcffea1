#!/bin/bash
# check.sh: the whole verdict (make check), on both bases.
#  - the mainline (rig/mainline-version, patches/): fetch, tree, kernel, selftests,
#    guest programs; checkpatch, per-patch builds, sparse and W=1; the full plan on the
#    two-cluster host, the short plan on the one- and three-cluster hosts, the five-PMU
#    plan on five clusters (TOPO=5) and the PMU-less cluster plan (TOPO=2n); the Linux
#    guest runs in the full and short plans, and under -icount, with the control and
#    its samples checked to within one, on two and three clusters
#    (rig/plans/linux-guest-icount.plan, results BASE-lg-icount-topoN; a boot of about
#    75 s on one core);
#  - the backport (rig/base-version, patches/6.12/): tree, kernel, selftests, guest
#    programs; checkpatch and per-patch builds; the short plan on two and three clusters,
#    the TOPO=5 and TOPO=2n plans, and the Linux guest under -icount on two and three;
#  - the debug kernel (VARIANT=debug: KASAN, kmemleak, debug objects) with
#    rig/plans/debug.plan on two and three clusters (results BASE-debug-topoN): on both
#    bases by default (CHECK_DEBUG=all), on the mainline only with CHECK_DEBUG=mainline,
#    on neither with CHECK_DEBUG=0.
# A base whose series is empty runs stock; a base whose setup fails is reported and the
# other one still runs. The work runs in two lanes at once, so that both cores stay busy
# (a guest under QEMU TCG keeps one to one and a half cores busy, a -j2 build two): the
# lanes start with the two setups, one each; then a lane that is free takes the next
# job whose inputs are ready: the debug kernels and the static checks first, then the
# boots, longest first (the job list below). The full
# plan, the longest boot by far, runs as two boots of about the same length (split at
# the "#part" line of rig/plans/7.3/check.plan; results BASE-topo2.1 and BASE-topo2.2).
# Prints one summary table, the step times, then (so that the tail of the output, all
# a CI log may show, says what failed) every failed result with its detail and the last
# lines of the serial log of every boot that did not finish its plan, and, last,
# "N passed, N failed, N skipped" (also in build/summary.txt).
set -u
unset BASE TREE VARIANT
. "$(dirname "$0")/common.sh"
# debug_on BASE: whether make check builds and boots BASE's debug kernel.
debug=${CHECK_DEBUG:-all}
case "$debug" in
0 | mainline | all) ;;
1) debug=all ;;
*) echo "CHECK_DEBUG must be all (the default), mainline or 0" >&2; exit 2 ;;
esac
debug_on() { [ "$debug" = all ] || { [ "$debug" = mainline ] && [ "$1" = "$mainline" ]; }; }
mkdir -p "$root/results" "$root/logs"
rm -f "$root"/results/*.tsv "$root/summary.txt" "$root"/.ready-*
times=$root/logs/check-times.txt
: >"$times"
t0=$(date +%s)

# step BASE NAME COMMAND...: a setup step; its failure is a result of its own.
step() {
	local b=$1 name=$2 t=$(date +%s) rc=0
	shift 2
	say "$b: $name"
	BASE=$b "$@" || rc=$?
	printf '%-6s %-14s %4d s%s\n' "$b" "$name" $(( $(date +%s) - t )) \
		"$([ $rc = 0 ] || echo " (failed)")" >>"$times"
	if [ $rc != 0 ]; then
		printf '%s\t%s\t%s\n' "$b-setup:$name" fail "see the output above" \
			>>"$root/results/$b-setup.tsv"
	fi
	return $rc
}
# boot BASE TOPO PLAN [PART]: one boot; its results are in build/results/BASE-topoN.tsv
# (BASE-topoN.K.tsv for part K); PLAN debug boots the debug kernel, as BASE-debug-topoN.
boot() {
	local t=$(date +%s) v= r=topo$2
	[ "$3" = debug ] && v=debug r=debug-topo$2
	[ "$3" = linux-guest-icount ] && r=lg-icount-topo$2
	VARIANT=$v BASE=$1 TOPO=$2 PART=${4:-} bash "$top/rig/run-guest.sh" "$3" "$r" || true
	printf '%-6s %-14s %4d s\n' "$1" "$r${4:+.$4}" $(( $(date +%s) - t )) >>"$times"
}
# setup BASE: everything a boot of BASE needs.
setup() {
	local b=$1
	{ [ "$b" != "$mainline" ] || step $b fetch bash "$top/rig/fetch-source.sh"; } &&
	step $b tree bash "$top/rig/base-tree.sh" &&
	step $b kernel bash "$top/rig/build-kernel.sh" &&
	step $b selftests bash "$top/rig/build-selftests.sh" &&
	step $b guest bash "$top/rig/build-guest.sh"
}

step rig deps bash "$top/rig/deps.sh"
step rig qemu bash "$top/rig/fetch-qemu.sh"
# The device trees, once, before the lanes share them.
for t in 1 2 3 5 2n; do TOPO=$t bash "$top/rig/make-dtb.sh"; done

# The jobs, in the order a free lane takes them: the first one whose inputs are ready.
#   setup BASE                 everything a boot needs (fetch, tree, kernel, selftests,
#                              guest programs); the base's other jobs wait for it;
#   kdebug BASE                the debug kernel; the debug boots wait for it;
#   series BASE                the static checks (check-series.sh);
#   boot BASE TOPO PLAN [PART] one boot, longest first.
# The kernel builds come before the boots: they are the longest jobs, and a lane that
# took one last would leave the other idle at the end. kdebug and series both work in
# build/BASE/linux (series checks out one commit after another), so they never run at
# once on one base; the boots load the kernel's copy (rig/common.sh, image), which the
# per-patch builds leave alone, so they run while the series is checked.
# A debug boot (KASAN, 1 GB) takes 250 to 375 s beside another boot, second only to the
# two parts of the full plan (docs/figures.md).
jobs=("setup $mainline" "setup $backport")
for b in "$mainline" "$backport"; do
	! debug_on "$b" || jobs+=("kdebug $b")
	jobs+=("series $b")
done
jobs+=("boot $mainline 2 check 1" "boot $mainline 2 check 2")
for b in "$mainline" "$backport"; do
	! debug_on "$b" || jobs+=("boot $b 3 debug" "boot $b 2 debug")
done
for j in "$mainline 3 topo" "$backport 3 topo" "$backport 2 topo" "$mainline 1 topo" \
	 "$mainline 3 linux-guest-icount" "$backport 3 linux-guest-icount" \
	 "$mainline 2 linux-guest-icount" "$backport 2 linux-guest-icount" \
	 "$mainline 5 topo5" "$backport 5 topo5" "$mainline 2n topo2n" "$backport 2n topo2n"; do
	jobs+=("boot $j")
done
# state FILE: what a finished job left there: ok, failed, or nothing yet.
state() { cat "$root/$1" 2>/dev/null || true; }
# runnable KIND BASE...: 0 when the job can start now, 1 when it must wait, 2 when it
# never will (what it needs failed).
runnable() {
	local need
	case "$1" in
	setup)	return 0 ;;
	boot)	need=.ready-$2
		[ "$4" != debug ] || need=.debug-$2 ;;
	*)	need=.ready-$2 ;;
	esac
	case "$(state "$need")" in
	ok) return 0 ;;
	failed) return 2 ;;
	esac
	[ "$(state ".ready-$2")" != failed ] || return 2
	return 1
}
# run_job KIND BASE...: one job, in a subshell so that a rig script that dies takes no
# lane with it; a setup or kdebug job records ok or failed for the jobs that wait on it.
run_job() {
	local kind=$1 b=$2 st=failed
	shift 2
	case "$kind" in
	setup)	(setup "$b") && st=ok
		echo $st >"$root/.ready-$b" ;;
	kdebug)	(step "$b" kernel-debug env VARIANT=debug bash "$top/rig/build-kernel.sh") && st=ok
		echo $st >"$root/.debug-$b" ;;
	series)	(step "$b" series bash "$top/rig/check-series.sh") || true ;;
	boot)	(boot "$b" "$@") || true ;;
	esac
}
# lane: takes the next job (claimed with mkdir, so no two lanes take one) until every
# job is done or can never run.
lane() {
	local i kind b left r
	while :; do
		left=
		for i in "${!jobs[@]}"; do
			[ -e "$root/.job-$i" ] && continue
			set -- ${jobs[$i]}
			kind=$1 b=$2
			r=0
			runnable "$@" || r=$?
			[ $r = 2 ] && continue
			left=1
			[ $r = 0 ] || continue
			if [ "$kind" = kdebug ] || [ "$kind" = series ]; then
				mkdir "$root/.tree-$b" 2>/dev/null || continue
				if ! mkdir "$root/.job-$i" 2>/dev/null; then
					rmdir "$root/.tree-$b"
					continue
				fi
				run_job "$@"
				rmdir "$root/.tree-$b"
			else
				mkdir "$root/.job-$i" 2>/dev/null || continue
				run_job "$@"
			fi
			continue 2
		done
		[ -z "$left" ] && return
		sleep 2
	done
}
rm -rf "$root"/.ready-* "$root"/.debug-* "$root"/.job-* "$root"/.tree-*
lane 2>&1 | sed -u "s/^/[1] /" &
lane 2>&1 | sed -u "s/^/[2] /" &
wait
rm -rf "$root"/.ready-* "$root"/.debug-* "$root"/.job-* "$root"/.tree-*

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
# What failed, where the tail of the output shows it.
if [ "$fail" != 0 ]; then
	echo
	echo "FAILED:"
	results | awk -F'\t' '$2 == "fail" { printf "  %s  %s\n", $1, $3 }'
fi
for f in "$root"/results/*.tsv; do
	l=$root/logs/$(basename "$f" .tsv).log
	[ -f "$l" ] || continue
	grep -q '^# rig: plan done' "$l" && continue
	echo
	echo "${l#$top/} did not finish its plan; running then: $(grep '^# ---- ' "$l" | tail -n 1)"
	echo "its last lines (before the host watchdog's sysrq dump, if any):"
	sed '/sysrq: Changing Loglevel/,$d' "$l" | tail -n 25 | sed 's/^/  | /'
	if grep -q 'sysrq: Show Blocked State' "$l"; then
		echo "the blocked tasks (sysrq w):"
		sed -n '/sysrq: Show Blocked State/,/sysrq: Show backtrace of all active CPUs/p' "$l" |
			head -n 40 | sed 's/^/  | /'
	fi
done
echo "$pass passed, $fail failed, $skip skipped" | tee "$root/summary.txt"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
