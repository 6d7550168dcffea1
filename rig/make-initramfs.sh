#!/bin/bash
# make-initramfs.sh PLAN OUT: an initramfs with the rig's /init, the plan as /plan, and
# every program the plan names in /bin (from $EXTRA_BIN, if set, then build/$BASE/guest
# and build/$BASE/selftests, whose arm64 tests are in arm64/ from 6.16 on and in
# aarch64/ before; with TREE=base, stock's selftests-base first, then the series' for
# the tests only the series has). A program that is not built is not left out silently: its entry
# becomes "@fail" (a failure that names it), or "@skip" when the plan marks it
# "#series NAME" (a test the series adds) and the tree is stock (no commit on base).
# A plan that runs /bin/linux-vmm also gets /guest: the Linux guest it boots (this
# kernel's Image, and rig/make-linux-guest.sh's initramfs and device trees).
set -eu
. "$(dirname "$0")/common.sh"
plan=$1 out=$2
list=$out.list
stock=
[ "$(git -C "$tree" rev-list --count "base..$rev")" = 0 ] && stock=1
series_tests=$(sed -n 's/^#series[[:space:]]\{1,\}//p' "$plan")

find_prog() {
	local c d
	for d in "$selftests" "$build/selftests"; do
		for c in ${EXTRA_BIN:+"$EXTRA_BIN/$1"} "$build/guest/$1" "$d/$1" "$d/arm64/$1" \
			 "$d/aarch64/$1"; do
			[ -f "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
		done
	done
	return 1
}

# The plan as the guest runs it.
while IFS= read -r line; do
	set -f
	set -- $line
	set +f
	case "$line" in
	"#"* | "") printf '%s\n' "$line"; continue ;;
	esac
	case "${4:-}" in
	/bin/*) ;;
	*) printf '%s\n' "$line"; continue ;;
	esac
	prog=${4#/bin/}
	# Programs the arguments name (host-sampling -- /bin/stress-life) must exist too.
	missing=
	for a in "${@:5}"; do
		case "$a" in
		/bin/*) find_prog "${a#/bin/}" >/dev/null || missing=${a#/bin/} ;;
		esac
	done
	if [ -n "$missing" ]; then
		printf '%s %s - @fail %s is not built for %s\n' "$1" "$2" "$missing" "$base"
		echo "make-initramfs: $missing is not built for $base: $1 fails" >&2
	elif find_prog "$prog" >/dev/null; then
		printf '%s\n' "$line"
	elif [ -n "$stock" ] && printf '%s\n' $series_tests | grep -qxF "$1"; then
		printf '%s %s - @skip %s is added by the series: not in stock %s\n' "$1" "$2" "$prog" "$pkg"
		echo "make-initramfs: $prog is not built: skipped (stock $base, the series adds it)" >&2
	else
		printf '%s %s - @fail %s is not built for %s\n' "$1" "$2" "$prog" "$base"
		echo "make-initramfs: $prog is not built for $base: $1 fails" >&2
	fi
done <"$plan" >"$out.plan"

{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	for d in proc sys bin; do echo "dir /$d 0755 0 0"; done
	echo "dir /tmp 1777 0 0"
	echo "file /init $build/guest/init 0755 0 0"
	echo "file /plan $out.plan 0644 0 0"
	# The command, and any program its arguments name (host-sampling -- /bin/stress-life).
	for prog in $(grep -v '^#' "$out.plan" |
		      awk '{ for (i = 4; i <= NF; i++) if ($i ~ /^\/bin\//) print $i }' | sort -u); do
		echo "file $prog $(find_prog "${prog#/bin/}") 0755 0 0"
	done
	if grep -v '^#' "$out.plan" | awk '$4 == "/bin/linux-vmm"' | grep -q .; then
		echo "dir /guest 0755 0 0"
		echo "file /guest/Image $image 0644 0 0"
		# Without them linux-vmm fails, saying which file is missing.
		for f in "$build"/linux-guest/initramfs.cpio "$build"/linux-guest/*.dtb; do
			[ -f "$f" ] && echo "file /guest/$(basename "$f") $f 0644 0 0"
		done
	fi
} >"$list"
"$kobj/usr/gen_init_cpio" "$list" >"$out"
