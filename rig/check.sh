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
#    rig/plans/debug.plan on two and three clusters (results BASE-debug-topoN): on the
#    mainline by default (CHECK_DEBUG=mainline), on both bases with CHECK_DEBUG=all,
#    on neither with CHECK_DEBUG=0.
# A base whose series is empty runs stock; a base whose setup fails is reported and the
# other one still runs. The work runs in two lanes at once, so that both cores stay busy
# (a guest under QEMU TCG keeps about one core busy, checkpatch and git one): lane 1
# sets the mainline up and checks its series, lane 2 the backport; then each lane takes
# the next boot, longest first, of a base that is ready, until none is left. The full
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
debug=${CHECK_DEBUG:-mainline}
case "$debug" in
0 | mainline | all) ;;
1) debug=all ;;
*) echo "CHECK_DEBUG must be mainline (the default), all or 0" >&2; exit 2 ;;
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
# setup BASE: everything a boot of BASE needs, then the static checks.
setup() {
	local b=$1
	{ [ "$b" != "$mainline" ] || step $b fetch bash "$top/rig/fetch-source.sh"; } &&
	step $b tree bash "$top/rig/base-tree.sh" &&
	step $b kernel bash "$top/rig/build-kernel.sh" &&
	step $b selftests bash "$top/rig/build-selftests.sh" &&
	step $b guest bash "$top/rig/build-guest.sh" || return 1
	step $b series bash "$top/rig/check-series.sh"
	# Last, and on its own: a failed debug build costs the debug boots only.
	if debug_on $b &&
	   ! step $b kernel-debug env VARIANT=debug bash "$top/rig/build-kernel.sh"; then
		touch "$root/.debug-failed-$b"
	fi
	return 0
}

step rig deps bash "$top/rig/deps.sh"
step rig qemu bash "$top/rig/fetch-qemu.sh"
# The device trees, once, before the lanes share them.
for t in 1 2 3 5 2n; do TOPO=$t bash "$top/rig/make-dtb.sh"; done

# The boots, longest first: BASE TOPO PLAN [PART].
# A debug boot (KASAN, 1 GB) takes 250 to 280 s beside another boot, second only to
# the two parts of the full plan. The backport's debug kernel costs a cold run another
# kernel build (about 7 min of both cores) and two boots: CHECK_DEBUG=all asks for it
# (docs/figures.md).
jobs=("$mainline 2 check 1" "$mainline 2 check 2")
for b in "$mainline" "$backport"; do
	! debug_on "$b" || jobs+=("$b 3 debug" "$b 2 debug")
done
jobs+=("$mainline 3 topo" "$backport 3 topo" "$backport 2 topo" "$mainline 1 topo" "$mainline 3 linux-guest-icount"
      "$backport 3 linux-guest-icount" "$mainline 2 linux-guest-icount"
      "$backport 2 linux-guest-icount" "$mainline 5 topo5" "$backport 5 topo5"
      "$mainline 2n topo2n" "$backport 2n topo2n")
# boots: takes the next boot whose base is set up (and whose static checks, which
# rebuild its kernel commit by commit, are done) until none is left.
boots() {
	local i b st left took
	# A base's boots start as soon as it is set up, while the other base may still
	# build (in a cold run the mainline's kernel, debug kernel and per-patch builds
	# outlast the backport's setup by about 15 min). The boots used to wait for both
	# bases: the hang and KVM_BUG_ON seen under a compiling host were QEMU 7.2's TCG race
	# (docs/figures.md, "The intermittent 7.3 bug was QEMU 7.2's"), which the rig's QEMU
	# no longer has.
	while :; do
		left= took=
		for i in "${!jobs[@]}"; do
			[ -e "$root/.job-$i" ] && continue
			b=${jobs[$i]%% *}
			st=$(cat "$root/.ready-$b" 2>/dev/null || true)
			[ "$st" = failed ] && continue
			case "${jobs[$i]}" in
			*" debug") [ -e "$root/.debug-failed-$b" ] && continue ;;
			esac
			left=1
			[ "$st" = ok ] && mkdir "$root/.job-$i" 2>/dev/null || continue
			boot ${jobs[$i]}
			took=1
			break
		done
		[ -n "$took" ] && continue
		[ -z "$left" ] && return
		sleep 2
	done
}
# lane BASE: sets BASE up, then boots whatever is ready.
lane() {
	trap "[ -f '$root/.ready-$1' ] || echo failed >'$root/.ready-$1'" EXIT
	if setup "$1"; then
		echo ok >"$root/.ready-$1"
	else
		echo failed >"$root/.ready-$1"
	fi
	boots
}
rm -rf "$root"/.ready-* "$root"/.job-* "$root"/.debug-failed-*
lane "$mainline" 2>&1 | sed -u "s/^/[1] /" &
lane "$backport" 2>&1 | sed -u "s/^/[2] /" &
wait
rm -rf "$root"/.ready-* "$root"/.job-*

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
