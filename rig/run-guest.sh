#!/bin/bash
# run-guest.sh PLAN RUN: boots the base's built kernel on topology $TOPO with an initramfs
# that runs PLAN (a file, or a name: rig/plans/$BASE/NAME.plan if there is one, else
# rig/plans/NAME.plan), keeps the serial log in build/logs/$BASE-RUN.log and the verdicts
# in build/results/$BASE-RUN.tsv (name $BASE-RUN:TEST, pass|fail|skip, detail). A plan
# entry with no result (the guest hung, panicked or was killed by the time limit) is a
# failure. A plan line "#series NAME": NAME is a test the series adds, skipped on a
# stock tree (see make-initramfs.sh); any other program that is not built fails.
# A plan line "#ktap NAME" makes the KTAP results NAME prints itself (kselftests that
# report one result per scenario) the verdicts, as NAME:SCENARIO; a missing scenario,
# a timeout, a signal or a kernel splat during NAME is a failure of NAME.
# PART=K runs the Kth part of a plan that "#part" lines divide into parts (with the
# built-in checks of the host, @..., in every part) as RUN.K: make check runs the long
# full plan as two boots at once.
# SHOW=results (default) streams the result lines, SHOW=output the tests' own output.
# ICOUNT=1 runs QEMU with -icount shift=0: virtual time counts instructions, one
# nanosecond each, so in-guest timings are instruction counts, the same on any machine;
# a plan line "#icount" asks for it (timer and PMU interrupts on time, whatever the
# machine's load).
# A host-side watchdog kills QEMU when the serial log shows no new result line for the
# plan's largest test timeout plus 120 s (RIG_WATCHDOG_S overrides): /init gives up on a
# test at its timeout (and on a test stuck in the kernel 20 s later), so a longer silence
# means /init itself or the whole guest hangs, and the boot then costs minutes, not the
# sum of the plan's timeouts. Before killing it sends sysrq over the serial line (a break
# then "9", "w", "l": console loglevel, blocked tasks, CPU backtraces) so that the log
# says where the guest hung.
# Exit status: 0 when nothing failed.
set -eu
. "$(dirname "$0")/common.sh"
plan=$1 run=$base-$2 show=${SHOW:-results}
case "$plan" in
*/*) ;;
*) plan=$top/rig/plans/$base/$1.plan
   [ -f "$plan" ] || plan=$top/rig/plans/$1.plan ;;
esac
[ -f "$plan" ] || { echo "run-guest: no plan $1 (rig/plans/$base/$1.plan or rig/plans/$1.plan)" >&2; exit 2; }
[ -f "$image" ] || { echo "run-guest: no ${image#$top/}: build the kernel first (make kernel)" >&2; exit 2; }
# A build by hand (or make check's per-patch builds, which this note is harmless for)
# leaves a newer arch/arm64/boot/Image beside the copy the boots load.
[ ! "$kobj/arch/arm64/boot/Image" -nt "$image" ] ||
	echo "run-guest: note: ${kobj#$top/}/arch/arm64/boot/Image is newer than the copy booted; make kernel refreshes the copy" >&2
mkdir -p "$root/logs" "$root/results" "$build"
if [ -n "${PART:-}" ]; then
	run=$run.$PART
	awk -v k="$PART" '/^#part/ { p++; next } /^#/ || !NF || $4 ~ /^@/ { print; next }
		p + 1 == k' "$plan" >"$build/$2.$PART.plan"
	plan=$build/$2.$PART.plan
fi
log=$root/logs/$run.log res=$root/results/$run.tsv
grep -q '^#icount' "$plan" && ICOUNT=1
# "#icount sleep=off": also when every emulated CPU idles, virtual time does not follow
# the host's clock (QEMU's default, sleep=on, lets the host's load into idle periods).
icount_opt="shift=0"
grep -q '^#icount sleep=off' "$plan" && icount_opt="shift=0,sleep=off"
initrd=$build/initramfs-${run#$base-}.cpio

bash "$top/rig/make-dtb.sh"
bash "$top/rig/make-initramfs.sh" "$plan" "$initrd"

# Time limit: the plan's own limits, plus boot and power-off.
limit=$(grep -v '^#' "$plan" | awk '{ t += $2 } END { print t + 60 }')
names=$(grep -v '^#' "$plan" | awk 'NF { print $1 }')
wd=${RIG_WATCHDOG_S:-$(grep -v '^#' "$plan" | awk 'NF && $2 > m { m = $2 } END { print m + 120 }')}
pidfile=$build/qemu-${run#$base-}.pid wdmark=$build/watchdog-${run#$base-}
rm -f "$pidfile" "$wdmark"
# watchdog: kills QEMU once no result line came for $wd seconds (see above).
watchdog() {
	local last=-1 idle=0 n pid
	while sleep 5; do
		pid=$(cat "$pidfile" 2>/dev/null) || continue
		n=$(grep -cE '^(not )?ok [0-9]+ ' "$log" 2>/dev/null || true)
		if [ "$n" != "$last" ]; then
			last=$n idle=0
			continue
		fi
		idle=$((idle + 5))
		[ $idle -ge "$wd" ] || continue
		echo "run-guest: no result line for ${idle}s (watchdog ${wd}s): sysrq dump, then QEMU is killed" >&2
		echo "$idle" >"$wdmark"
		# sysrq through a serial break (QEMU's mux: Ctrl-A b): 9 = console loglevel 9,
		# w = blocked tasks, l = backtraces of the CPUs.
		for k in 9 w l; do
			printf '\001b' >&3
			sleep 1
			printf '%s' "$k" >&3
			sleep 4
		done
		sleep 10
		kill "$pid" 2>/dev/null
		sleep 10
		kill -9 "$pid" 2>/dev/null
		return
	done
}

say "booting $build_rel/$(basename "$kobj") ($(git -C "$tree" log -1 --format=%s base), $(git -C "$tree" rev-list --count "base..$rev") patch(es)) on topology $topo ($smp CPUs) with ${plan#$top/}${PART:+ (part $PART)} (limit ${limit}s)"
set +e
# QEMU's stdin: a FIFO the watchdog writes sysrq requests to (fd 3 keeps it open).
fifo=$build/qemu-${run#$base-}.in
rm -f "$fifo" && mkfifo "$fifo" && exec 3<>"$fifo"
watchdog &
wdpid=$!
timeout -k 10 "$limit" "$qemu" $qemu_machine ${ICOUNT:+-icount $icount_opt} -nographic -nic none \
	-monitor none -chardev stdio,id=con,mux=on,signal=off -serial chardev:con \
	-pidfile "$pidfile" -no-reboot -kernel "$image" -initrd "$initrd" -dtb "$dtb" \
	-append "console=ttyAMA0 rdinit=/init panic=-1 rig.pmus=$topo" <"$fifo" 2>&1 |
	stdbuf -oL tr -d '\r' | tee "$log" | case "$show" in
		output) sed -un 's/^# \{0,1\}//p' ;;
		*) grep --line-buffered -E '^(not )?ok [0-9]+ ' ;;
	esac
qemu_rc=${PIPESTATUS[0]}
kill "$wdpid" 2>/dev/null
wait "$wdpid" 2>/dev/null
exec 3>&-
rm -f "$fifo" "$pidfile"
set -e
why="qemu exit $qemu_rc"
if [ -f "$wdmark" ]; then
	why="killed by the host watchdog: no result line for $(cat "$wdmark")s"
	printf '\n# run-guest: %s\n' "$why" >>"$log"
	rm -f "$wdmark"
fi

ktap=$(sed -n 's/^#ktap[[:space:]]\{1,\}//p' "$plan")

# The scenario results of a #ktap test, as "name<TAB>status<TAB>detail" lines; a
# line "-<TAB>fail<TAB>..." when they do not match the test's own plan.
subresults() {
	awk -v t="$1" '
		$0 ~ "^# ---- " t ": " { on = 1; next }
		on && /^# time: / { exit }
		on && /^# 1\.\.[0-9]+$/ { plan = substr($2, 4); next }
		on && /^# (not )?ok [0-9]+ / {
			line = substr($0, 3); nok = (line ~ /^not /)
			sub(/^(not )?ok [0-9]+ /, "", line)
			name = line; sub(/ #.*/, "", name)
			detail = ""
			if (line ~ / # /) { detail = line; sub(/^[^#]* # /, "", detail) }
			st = nok ? "fail" : (detail ~ /^SKIP/ ? "skip" : "pass")
			printf "%s\t%s\t%s\n", name, st, detail; n++
		}
		END {
			if (plan == "" || n != plan)
				printf "-\tfail\t%d of %s scenario results\n", n, plan == "" ? "?" : plan
		}
	' "$log"
}

: >"$res"
fail=0
for n in $names; do
	line=$(grep -E "^(not )?ok [0-9]+ $n( |\$)" "$log" | tail -n 1 || true)
	detail=${line#* # }
	[ "$detail" = "$line" ] && detail=
	case "$line" in
	"not ok "*) st=fail ;;
	"ok "*" # SKIP"*) st=skip ;;
	"ok "*) st=pass ;;
	*) st=fail detail="no result ($why; see ${log#$top/})" ;;
	esac
	# A #ktap test that did not run (skipped: not built on a stock tree, no such
	# cluster) has no scenario results: its own result stands.
	if printf '%s\n' $ktap | grep -qxF "$n" && grep -q "^# ---- $n: " "$log"; then
		while IFS=$'\t' read -r sub sst sdetail; do
			[ "$sst" = fail ] && fail=1
			if [ "$sub" = - ]; then
				printf '%s\t%s\t%s\n' "$run:$n" fail "$sdetail" >>"$res"
			else
				printf '%s\t%s\t%s\n' "$run:$n:$sub" "$sst" "$sdetail" >>"$res"
			fi
		done < <(subresults "$n")
		# Its exit status only sums up its scenarios; a timeout, signal or splat does not.
		case "$detail" in
		"exit "* | SKIP* | "") continue ;;
		esac
	fi
	[ $st = fail ] && fail=1
	printf '%s\t%s\t%s\n' "$run:$n" "$st" "$detail" >>"$res"
done
grep -q '^# rig: plan done' "$log" || {
	echo "run-guest: the guest did not finish its plan ($why); log: $log" >&2
	fail=1
}
exit $fail
