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
# nanosecond each, so in-guest timings are instruction counts, the same on any machine.
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
image=$kobj/arch/arm64/boot/Image
mkdir -p "$root/logs" "$root/results" "$build"
if [ -n "${PART:-}" ]; then
	run=$run.$PART
	awk -v k="$PART" '/^#part/ { p++; next } /^#/ || !NF || $4 ~ /^@/ { print; next }
		p + 1 == k' "$plan" >"$build/$2.$PART.plan"
	plan=$build/$2.$PART.plan
fi
log=$root/logs/$run.log res=$root/results/$run.tsv
initrd=$build/initramfs-${run#$base-}.cpio

bash "$top/rig/make-dtb.sh"
bash "$top/rig/make-initramfs.sh" "$plan" "$initrd"

# Time limit: the plan's own limits, plus boot and power-off.
limit=$(grep -v '^#' "$plan" | awk '{ t += $2 } END { print t + 60 }')
names=$(grep -v '^#' "$plan" | awk 'NF { print $1 }')

say "booting $build_rel/$(basename "$kobj") ($(git -C "$tree" log -1 --format=%s base), $(git -C "$tree" rev-list --count base..HEAD) patch(es)) on topology $topo ($smp CPUs) with ${plan#$top/}${PART:+ (part $PART)} (limit ${limit}s)"
set +e
timeout -k 10 "$limit" qemu-system-aarch64 $qemu_machine ${ICOUNT:+-icount shift=0} -nographic -nic none \
	-monitor none -no-reboot -kernel "$image" -initrd "$initrd" -dtb "$dtb" \
	-append "console=ttyAMA0 rdinit=/init panic=-1 rig.pmus=$topo" </dev/null 2>&1 |
	stdbuf -oL tr -d '\r' | tee "$log" | case "$show" in
		output) sed -un 's/^# \{0,1\}//p' ;;
		*) grep --line-buffered -E '^(not )?ok [0-9]+ ' ;;
	esac
qemu_rc=${PIPESTATUS[0]}
set -e

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
	*) st=fail detail="no result (qemu exit $qemu_rc; see ${log#$top/})" ;;
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
	echo "run-guest: the guest did not finish its plan (qemu exit $qemu_rc); log: $log" >&2
	fail=1
}
exit $fail
