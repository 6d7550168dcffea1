#!/bin/bash
# build-selftests.sh: the tree's uapi headers (make headers: build/$BASE/kernel/usr/include),
# then the arm64 KVM selftests (and the generic ones of the arm64 build), static, into
# build/$BASE/selftests (TREE=base: selftests-base). 7.3 puts the arm64 ones in arm64/,
# 6.12 in aarch64/.
set -eu
. "$(dirname "$0")/common.sh"
out=$selftests
mkdir -p "$out"
kmake headers >/dev/null
say "building the arm64 KVM selftests"
make -s -C "$tree/tools/testing/selftests/kvm" -j"$(nproc)" ARCH=arm64 \
	CROSS_COMPILE="$cross" CC="$kcc" OUTPUT="$out" \
	INSTALL_HDR_PATH="$kobj/usr" KHDR_INCLUDES="-isystem $kobj/usr/include" \
	EXTRA_CFLAGS=-static 2>&1 | { grep -E 'error|warning' || true; }
[ "${PIPESTATUS[0]}" = 0 ] || exit 1
