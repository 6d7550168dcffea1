#!/bin/bash
# make-dtb.sh: build/topo$TOPO.dtb (one for both bases), QEMU's own virt tree rewritten
# to the clusters of rig/common.sh's TOPO, each with a PMU unless marked PMU-less
# (rig/dts-clusters.pl), recompiled with dtc. The raw blob QEMU dumps does not boot
# when passed back with -dtb; the dtc-compiled one does. Made again when
# dts-clusters.pl or common.sh (where the topologies are) or QEMU is newer.
set -eu
. "$(dirname "$0")/common.sh"
mkdir -p "$(dirname "$dtb")"
[ -n "${QEMU:-}" ] || bash "$top/rig/fetch-qemu.sh"
[ "$dtb" -nt "$top/rig/dts-clusters.pl" ] && [ "$dtb" -nt "$top/rig/common.sh" ] &&
	[ "$dtb" -nt "${QEMU:-$root/qemu/version}" ] && exit 0
raw=$root/qemu-virt-smp$smp.dtb.$$
"$qemu" $qemu_machine -nographic -nic none \
	-machine dumpdtb="$raw" >/dev/null 2>&1
dtc -q -I dtb -O dts "$raw" | perl "$top/rig/dts-clusters.pl" "$clusters" >"${dtb%.dtb}.dts"
# Renamed into place: a boot running meanwhile reads the old tree or the new one, whole.
dtc -q -I dts -O dtb -o "$dtb.$$" "${dtb%.dtb}.dts"
mv -f "$dtb.$$" "$dtb"
rm -f "$raw"
say "topology $topo ($clusters): $smp CPUs, $(grep -c 'pmu-cluster' "${dtb%.dtb}.dts") PMU(s) -> $(basename "$dtb")"
