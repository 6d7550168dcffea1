#!/bin/bash
# fetch-source.sh: the mainline base's source package, linux-source-$(rig/mainline-version),
# from Debian's experimental, sid and forky on the mirror the machine's apt already uses,
# through a private sources list and private apt state in build/apt/ (the machine's apt
# configuration is left alone). Takes the newest version offered (7.3~rc7 < 7.3 < 7.3.1),
# whatever it is: writes it to build/apt/$pkg.version and its tarball to
# build/apt/$pkg_VERSION.tar.xz. When no $pkg is offered, it stops and names the
# linux-source-* versions that are, and the line to change.
# The package lists are refreshed when older than an hour, or always with REFRESH=1
# (make fetch); if the mirror cannot be reached, the last version fetched is kept.
# BASE=$(backport): nothing to do, that source comes from the machine's apt (rig/deps.sh).
set -eu
unset TREE VARIANT
. "$(dirname "$0")/common.sh"
if [ "$base" != "$mainline" ]; then
	exit 0
fi
adir=$root/apt
. "$top/rig/apt-private.sh"
apt_private "$adir"
opts=("${apt_opts[@]}")
if [ -z "$mirror" ]; then
	echo "fetch: no Debian mirror in the machine's apt sources (/etc/apt/sources.list{,.d})" >&2
	exit 1
fi
{
	echo "# Written by rig/fetch-source.sh: the suites the mainline source comes from."
	for suite in experimental sid forky; do
		echo "deb $signed$mirror $suite main"
	done
} >"$adir/sources.list.new"
changed=1
cmp -s "$adir/sources.list.new" "$adir/sources.list" && changed=
mv "$adir/sources.list.new" "$adir/sources.list"

if [ -n "${REFRESH:-}" ] || [ -n "$changed" ] || [ ! -f "$adir/lists.stamp" ] ||
   [ -n "$(find "$adir/lists.stamp" -mmin +60)" ]; then
	say "fetch: package lists of experimental, sid and forky from $mirror"
	if apt-get "${opts[@]}" -qq update >"$adir/update.log" 2>&1; then
		touch "$adir/lists.stamp"
	else
		cat "$adir/update.log" >&2
		if [ -f "$adir/$pkg.version" ] && [ -f "$adir/${pkg}_$(cat "$adir/$pkg.version").tar.xz" ]; then
			echo "fetch: apt-get update failed; keeping $pkg $(cat "$adir/$pkg.version")" >&2
			exit 0
		fi
		echo "fetch: apt-get update failed (log: $adir/update.log)" >&2
		exit 1
	fi
fi

# The newest version offered, by Debian's ordering.
newest=
for v in $(apt-cache "${opts[@]}" madison "$pkg" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }'); do
	if [ -z "$newest" ] || dpkg --compare-versions "$v" gt "$newest"; then
		newest=$v
	fi
done
if [ -z "$newest" ]; then
	echo "fetch: Debian ($mirror: experimental, sid, forky) does not offer $pkg." >&2
	echo "fetch: it offers:" >&2
	apt-cache "${opts[@]}" pkgnames linux-source- 2>/dev/null | sort -V | while read -r p; do
		apt-cache "${opts[@]}" madison "$p" | awk -F'|' -v p="$p" '
			{ gsub(/ /, "", $2); split($3, w, " "); split(w[2], s, "/")
			  l = l (l ? ", " : "") $2 " (" s[1] ")" }
			END { if (l) print "fetch:   " p " " l }' >&2
	done
	echo "fetch: change the one line of rig/mainline-version (now: $mainline) to one of them." >&2
	exit 1
fi

tarball=$adir/${pkg}_$newest.tar.xz
if [ ! -f "$tarball" ]; then
	say "fetch: downloading $pkg $newest"
	rm -rf "$adir/deb" && mkdir -p "$adir/deb"
	(cd "$adir/deb" && apt-get "${opts[@]}" -qq download "$pkg=$newest") >&2
	deb=$(ls "$adir"/deb/*.deb)
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO "./usr/src/$pkg.tar.xz" >"$tarball.part"
	mv "$tarball.part" "$tarball"
	rm -rf "$adir/deb"
	# Only the newest tarball is kept.
	for old in "$adir/${pkg}_"*.tar.xz; do
		[ "$old" = "$tarball" ] || rm -f "$old"
	done
	say "fetch: $(basename "$tarball") ($(du -m "$tarball" | cut -f1) MB)"
fi
echo "$newest" >"$adir/$pkg.version"
