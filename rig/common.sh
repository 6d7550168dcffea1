# common.sh: sourced by the rig scripts. Paths and tool names in one place.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD:-$top/build}
tree=$build/linux
# VARIANT=perf: the same kernel without the debug options, for cost figures.
kobj=$build/kernel${VARIANT:+-$VARIANT}
# TREE=base: the pristine base, without the series, in a worktree of its own
# (build/linux-base), for stock figures and for tests that must fail on stock.
if [ "${TREE:-}" = base ]; then
	tree=$build/linux-base
	kobj=$build/kernel-base${VARIANT:+-$VARIANT}
fi
cross=aarch64-linux-gnu-
kcc="ccache ${cross}gcc"
export CCACHE_DIR=${CCACHE_DIR:-$build/ccache}
kmake() {
	make -s -C "$tree" O="$kobj" ARCH=arm64 CROSS_COMPILE="$cross" CC="$kcc" \
		-j"$(nproc)" "$@"
}
say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# Topology: TOPO clusters of two CPUs each (TOPO=1: one PMU over four CPUs).
topo=${TOPO:-2}
case "$topo" in
1) smp=4 ;; 2) smp=4 ;; 3) smp=6 ;;
*) echo "TOPO must be 1, 2 or 3" >&2; exit 2 ;;
esac
qemu_machine="-machine virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on -smp $smp -m 4G"
dtb=$build/topo$topo.dtb
