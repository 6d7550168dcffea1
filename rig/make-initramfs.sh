#!/bin/bash
# make-initramfs.sh PLAN OUT: an initramfs with the rig's /init, the plan as /plan, and
# every program the plan names in /bin (from $EXTRA_BIN, if set, then build/guest and
# build/selftests).
set -eu
. "$(dirname "$0")/common.sh"
plan=$1 out=$2
list=$out.list
{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	for d in proc sys bin; do echo "dir /$d 0755 0 0"; done
	echo "dir /tmp 1777 0 0"
	echo "file /init $build/guest/init 0755 0 0"
	echo "file /plan $plan 0644 0 0"
	for prog in $(grep -v '^#' "$plan" | awk '$4 ~ /^\/bin\// { print $4 }' | sort -u); do
		name=${prog#/bin/} src=
		for c in ${EXTRA_BIN:+"$EXTRA_BIN/$name"} "$build/guest/$name" "$build/selftests/$name" \
			 "$build/selftests/aarch64/$name"; do
			[ -x "$c" ] && { src=$c; break; }
		done
		[ -n "$src" ] || { echo "make-initramfs: $name not built" >&2; exit 1; }
		echo "file /bin/$name $src 0755 0 0"
	done
} >"$list"
"$kobj/usr/gen_init_cpio" "$list" >"$out"
