#!/bin/bash
# build-guest.sh: the rig's own programs for the guest host (guest/*.c), static, against
# the tree's uapi headers (so the VMM sees what the series adds to linux/kvm.h), into
# build/$BASE/guest; then the Linux guest's initramfs and device trees
# (rig/make-linux-guest.sh).
set -eu
. "$(dirname "$0")/common.sh"
out=$build/guest
mkdir -p "$out"
kmake headers >/dev/null
cflags="-static -O2 -Wall -Wextra -Werror -isystem $kobj/usr/include -I$top/guest"
gc() {
	local bin=$1; shift
	if [ ! -x "$out/$bin" ] ||
	   [ -n "$(find "$top/guest" "$kobj/usr/include/linux/kvm.h" -newer "$out/$bin")" ]; then
		${cross}gcc $cflags -o "$out/$bin" "$@"
	fi
}
pmu="$top/guest/host-pmu.c"
gc init "$top/guest/init.c" "$top/guest/splat.c" "$pmu"
gc pmu-hop "$top/guest/pmu-hop.c" "$top/guest/pmu-hop-guest.S" "$top/guest/vmm.c" "$pmu"
gc pmu-cost "$top/guest/pmu-cost.c" "$top/guest/pmu-cost-guest.S" "$top/guest/vmm.c" "$pmu"
gc pmu-bench "$top/guest/pmu-bench.c" "$top/guest/pmu-bench-guest.S" "$top/guest/vmm.c" "$pmu" \
	-pthread
multi="$top/guest/vmm-multi.c $top/guest/vmm.c $pmu"
gc stress-migrate "$top/guest/stress-migrate.c" "$top/guest/stress-migrate-guest.S" $multi
gc stress-life "$top/guest/stress-life.c" "$top/guest/stress-migrate-guest.S" $multi
gc stress-release "$top/guest/stress-release.c" "$top/guest/stress-release-guest.S" $multi
hp="$top/guest/cpu-hotplug.c"
gc pmu-nopmu "$top/guest/pmu-nopmu.c" "$top/guest/pmu-hop-guest.S" "$top/guest/vmm.c" "$hp" "$pmu" \
	-pthread
gc stress-hotplug "$top/guest/stress-hotplug.c" "$top/guest/pmu-hop-guest.S" \
	"$top/guest/stress-hotplug-guest.S" "$top/guest/vmm.c" "$hp" "$pmu" -pthread
gc stress-contend "$top/guest/stress-contend.c" "$top/guest/vmm.c" "$pmu"
gc stress-fuzz "$top/guest/stress-fuzz.c" "$top/guest/vmm.c" "$pmu" -lpthread
gc host-sampling "$top/guest/host-sampling.c" "$pmu"
gc linux-vmm "$top/guest/linux-vmm.c" "$top/guest/splat.c" $multi -pthread
gc linux-guest-perf "$top/guest/linux-guest-perf.c" "$top/guest/splat.c"
bash "$top/rig/make-linux-guest.sh"
