#!/bin/bash
# run-guest.sh PLAN RUN: boots the built kernel on topology $TOPO with an initramfs that
# runs PLAN, keeps the serial log in build/logs/RUN.log and the verdicts in
# build/results/RUN.tsv (name, pass|fail|skip, detail). A plan entry with no result
# (the guest hung, panicked or was killed by the time limit) is a failure.
# SHOW=results (default) streams the result lines, SHOW=output the tests' own output.
# Exit status: 0 when nothing failed.
set -eu
. "$(dirname "$0")/common.sh"
plan=$1 run=$2 show=${SHOW:-results}
image=$kobj/arch/arm64/boot/Image
log=$build/logs/$run.log res=$build/results/$run.tsv
initrd=$build/initramfs-$run.cpio
mkdir -p "$build/logs" "$build/results"

bash "$top/rig/make-dtb.sh"
bash "$top/rig/make-initramfs.sh" "$plan" "$initrd"

# Time limit: the plan's own limits, plus boot and power-off.
limit=$(grep -v '^#' "$plan" | awk '{ t += $2 } END { print t + 60 }')
names=$(grep -v '^#' "$plan" | awk 'NF { print $1 }')

say "booting topology $topo ($smp CPUs) with $(basename "$plan") (limit ${limit}s)"
set +e
timeout -k 10 "$limit" qemu-system-aarch64 $qemu_machine -nographic -nic none \
	-monitor none -no-reboot -kernel "$image" -initrd "$initrd" -dtb "$dtb" \
	-append "console=ttyAMA0 rdinit=/init panic=-1 rig.pmus=$topo" </dev/null 2>&1 |
	tr -d '\r' | tee "$log" | case "$show" in
		output) sed -un 's/^# \{0,1\}//p' ;;
		*) grep --line-buffered -E '^(not )?ok [0-9]+ ' ;;
	esac
qemu_rc=${PIPESTATUS[0]}
set -e

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
	*) st=fail detail="no result (qemu exit $qemu_rc; see build/logs/$run.log)" ;;
	esac
	[ $st = fail ] && fail=1
	printf '%s\t%s\t%s\n' "$run:$n" "$st" "$detail" >>"$res"
done
grep -q '^# rig: plan done' "$log" || {
	echo "run-guest: the guest did not finish its plan (qemu exit $qemu_rc); log: $log" >&2
	fail=1
}
exit $fail
