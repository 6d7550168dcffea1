# common.sh: sourced by the rig scripts. Paths and tool names in one place.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# BUILD: the build root (default build/; relative to the clone). Shared by both bases: apt/ (the mainline
# source package), logs/, results/, the device trees, summary.txt.
root=${BUILD:-build}
case "$root" in /*) ;; *) root=$top/$root ;; esac

# BASE: the kernel the series is for. The mainline (rig/mainline-version, default:
# Debian's linux-source-7.3 from experimental/sid/forky, series in patches/) or the
# stable backport (rig/base-version's 6.12, from the machine's apt, series in
# patches/6.12/). Everything else of a base lives in build/$BASE/.
mainline=$(grep -v '^#' "$top/rig/mainline-version" | head -n 1)
backport_version=$(grep -v '^#' "$top/rig/base-version" | head -n 1)
backport=$(printf '%s\n' "$backport_version" | sed -E 's/^([0-9]+[.][0-9]+).*/\1/')
base=${BASE:-$mainline}
case "$base" in
"$mainline") pdir=$top/patches ;;
"$backport") pdir=$top/patches/$backport ;;
*)	echo "BASE must be $mainline (rig/mainline-version) or $backport (rig/base-version), not '$base'" >&2
	exit 2 ;;
esac
pkg=linux-source-$base
pdir_rel=${pdir#$top/}/
build=$root/$base
build_rel=${build#$top/}
tree=$build/linux
# VARIANT=perf: the same kernel without the debug options, for cost figures;
# VARIANT=debug: with KASAN, kmemleak and debug objects as well (rig/kernel-debug.config);
# VARIANT=recreate: the other design, for make bench only (the mainline series plus
# rig/bench/recreate-$BASE.patch, in the worktree build/$BASE/linux-recreate, configured
# as VARIANT=perf).
case "${VARIANT:-}" in
"" | perf | debug) ;;
recreate)
	[ -f "$top/rig/bench/recreate-$base.patch" ] || {
		echo "VARIANT=recreate: no rig/bench/recreate-$base.patch" >&2
		exit 2
	}
	tree=$build/linux-recreate ;;
*)	echo "VARIANT must be perf, debug or recreate (or empty), not '$VARIANT'" >&2
	exit 2 ;;
esac
kobj=$build/kernel${VARIANT:+-$VARIANT}
selftests=$build/selftests
# TREE=base: the pristine base, without the series, in a worktree of its own
# (build/$BASE/linux-base), for stock figures and for tests that must fail on stock;
# its selftests are stock's too (build/$BASE/selftests-base).
if [ "${TREE:-}" = base ]; then
	tree=$build/linux-base
	kobj=$build/kernel-base${VARIANT:+-$VARIANT}
	selftests=$build/selftests-base
fi
# image: the kernel the boots load, build-kernel.sh's copy of arch/arm64/boot/Image. The
# per-patch builds of check-series.sh rebuild $kobj commit by commit and leave the copy
# alone, so that make check boots a base while its series is being checked.
image=$kobj/rig-Image
# rev: what the tree's kernel is built from: the branch work in build/$BASE/linux (where
# check-series.sh checks out one commit after another), HEAD in the other worktrees.
rev=HEAD
[ "$tree" != "$build/linux" ] || rev=work
cross=aarch64-linux-gnu-
kcc="ccache ${cross}gcc"
# ccache: its own default directory (~/.cache/ccache, or $CCACHE_DIR), outside the
# clone, so that fresh clones (CI) hit it; paths under the clone are hashed relative
# to it, so a clone at another path hits the same entries.
export CCACHE_BASEDIR=$top
# Depend mode: a miss compiles once, from the compiler's own dependency file (the
# kernel's -MMD), instead of running the preprocessor first to hash its output. On a
# cold cache that made arch/arm64/kvm/ (87 objects) 64 s instead of 108 (60 without
# ccache); hits cost the same (docs/figures.md).
export CCACHE_DEPEND=${CCACHE_DEPEND:-1}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-15G}
kmake() {
	make -s -C "$tree" O="$kobj" ARCH=arm64 CROSS_COMPILE="$cross" CC="$kcc" \
		-j"$(nproc)" "$@"
}
say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# Topology: TOPO clusters of two CPUs each (TOPO=1: one PMU over four CPUs); TOPO=5:
# five clusters (two CPUs, then four of one), a PMU each; TOPO=2n: two clusters of two
# CPUs, the second without a PMU node. clusters: the sizes rig/dts-clusters.pl takes.
topo=${TOPO:-2}
case "$topo" in
1) smp=4 clusters=4 ;; 2) smp=4 clusters=2,2 ;; 3) smp=6 clusters=2,2,2 ;;
5) smp=6 clusters=2,1,1,1,1 ;; 2n) smp=4 clusters=2,2n ;;
*) echo "TOPO must be 1, 2, 3, 5 or 2n" >&2; exit 2 ;;
esac
# QEMU: rig/fetch-qemu.sh puts one (8.1 or newer) at build/qemu/; QEMU=path boots
# another, for experiments (QEMU=/usr/bin/qemu-system-aarch64 on Debian 12 is 7.2, whose
# TCG race rig/fetch-qemu.sh explains).
qemu=${QEMU:-$root/qemu/usr/bin/qemu-system-aarch64}
# Memory: 4 GB; the debug kernel gets 1 GB, since @kmemleak scans all of it under KASAN
# (two scans of 4 GB took about 100 s). QEMU_MEM=size sets it for any boot.
mem=4G
[ "${VARIANT:-}" != debug ] || mem=1G
mem=${QEMU_MEM:-$mem}
qemu_machine="-machine virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on -smp $smp -m $mem"
dtb=$root/topo$topo.dtb
# Another QEMU's tree is its own: QEMU 7.2 does not boot with QEMU 10's.
[ -z "${QEMU:-}" ] || dtb=$root/qemu-other/topo$topo.dtb
