#!/bin/bash
# fetch-qemu.sh: the QEMU the rig boots, $qemu (rig/common.sh). QEMU before 8.1 has a
# multi-threaded TCG race (fixed upstream by "accel/tcg: Always lock pages before
# translation", first in 8.1.0): a vCPU that translates a block while another vCPU
# patches the same page keeps the old instructions for good. Linux 7.3 on arm64 patches
# its scheduler at run time (JUMP_LABEL: KVM's preempt-notifier key flips at every VM
# create and destroy), and a vCPU left with the old code skips KVM's sched-out notifier:
# KVM_BUG_ON in kvm_vcpu_load_debug() or hard lockups (docs/figures.md, "The
# intermittent hang"). So: the machine's own qemu-system-aarch64 when it is 8.1 or newer;
# else the newest qemu-system-arm of the machine's Debian suite's backports (Debian 12:
# bookworm-backports, QEMU 10.0), downloaded with private apt state in build/apt-qemu/
# and unpacked into build/qemu/ (it uses the libraries rig/deps.sh's qemu-system-arm
# pulls in). Writes build/qemu/version; does nothing when that is there already.
set -eu
unset BASE TREE VARIANT
. "$(dirname "$0")/common.sh"
have_ok() {
	dpkg --compare-versions "$("$1" --version | sed -nE '1s/.*version ([0-9.]+).*/\1/p')" ge 8.1
}
[ -f "$root/qemu/version" ] && exit 0
mkdir -p "$root"
exec 9>"$root/qemu.lock"
flock 9
[ -f "$root/qemu/version" ] && exit 0
sys=$(command -v qemu-system-aarch64 || true)
if [ -n "$sys" ] && have_ok "$sys"; then
	rm -rf "$root/qemu" && mkdir -p "$root/qemu/usr/bin"
	ln -s "$sys" "$root/qemu/usr/bin/qemu-system-aarch64"
	"$sys" --version | head -n 1 >"$root/qemu/version"
	say "qemu: the machine's own, $(cat "$root/qemu/version")"
	exit 0
fi
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")-backports
adir=$root/apt-qemu
. "$top/rig/apt-private.sh"
apt_private "$adir"
opts=("${apt_opts[@]}")
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
echo "deb $signed$mirror $suite main" >"$adir/sources.list"
say "qemu: $sys is older than 8.1; qemu-system-arm from $suite ($mirror)"
if ! apt-get "${opts[@]}" -qq update >"$adir/update.log" 2>&1; then
	cat "$adir/update.log" >&2
	echo "qemu: apt-get update of $suite failed; the rig needs QEMU 8.1 or newer" >&2
	exit 1
fi
newest=$(apt-cache "${opts[@]}" madison qemu-system-arm | awk -F'|' -v s="$suite" \
	'index($3, s "/") { gsub(/ /, "", $2); print $2; exit }')
if [ -z "$newest" ]; then
	echo "qemu: $suite offers no qemu-system-arm; the rig needs QEMU 8.1 or newer" >&2
	exit 1
fi
rm -rf "$adir/deb" "$root/qemu.new" && mkdir -p "$adir/deb"
(cd "$adir/deb" && apt-get "${opts[@]}" -qq download "qemu-system-arm=$newest") >&2
dpkg-deb -x "$adir"/deb/*.deb "$root/qemu.new"
rm -rf "$adir/deb"
if ! have_ok "$root/qemu.new/usr/bin/qemu-system-aarch64"; then
	echo "qemu: qemu-system-arm $newest from $suite does not run, or is older than 8.1" >&2
	exit 1
fi
"$root/qemu.new/usr/bin/qemu-system-aarch64" --version | head -n 1 >"$root/qemu.new/version"
rm -rf "$root/qemu" && mv "$root/qemu.new" "$root/qemu"
say "qemu: $(cat "$root/qemu/version")"
