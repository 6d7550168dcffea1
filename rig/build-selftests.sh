#!/bin/bash
# build-selftests.sh: the tree's uapi headers (make headers: build/kernel/usr/include),
# then the arm64 KVM selftests, static, into build/selftests.
set -eu
. "$(dirname "$0")/common.sh"
out=$build/selftests
mkdir -p "$out"
kmake headers >/dev/null
say "building the arm64 KVM selftests"
make -s -C "$tree/tools/testing/selftests/kvm" -j"$(nproc)" ARCH=arm64 \
	CROSS_COMPILE="$cross" CC="$kcc" OUTPUT="$out" \
	INSTALL_HDR_PATH="$kobj/usr" KHDR_INCLUDES="-isystem $kobj/usr/include" \
	EXTRA_CFLAGS=-static 2>&1 | { grep -E 'error|warning' || true; }
[ "${PIPESTATUS[0]}" = 0 ] || exit 1
