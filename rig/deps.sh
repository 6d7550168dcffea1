#!/bin/bash
# deps.sh: install what the rig needs, from Debian's archive only.
# Idempotent: prints nothing and does nothing when everything is present.
# deps.sh bench: also what make bench needs (gnuplot, for its charts).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
base_version=$(grep -v '^#' "$here/base-version" | head -n 1)

pkgs="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm device-tree-compiler
      sparse ccache flex bison bc libssl-dev libelf-dev cpio perl git make gcc xz-utils python3-ply python3-git"
[ "${1:-}" != bench ] || pkgs="$pkgs gnuplot-nox"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
src_have=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
[ "$src_have" = "$base_version" ] || missing="$missing linux-source-6.12=$base_version"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=
elif command -v sudo >/dev/null; then
	sudo=sudo
else
	echo "deps: not root and no sudo; as root, run:" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
offered=$(apt-cache madison linux-source-6.12 | awk '{print $3}')
if ! printf '%s\n' "$offered" | grep -qxF "$base_version"; then
	echo "deps: linux-source-6.12 $base_version is no longer offered by apt." >&2
	echo "deps: apt offers: $(echo $offered)" >&2
	echo "deps: change the one line in rig/base-version to one of them." >&2
	exit 1
fi
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
