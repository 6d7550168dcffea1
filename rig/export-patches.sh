#!/bin/bash
# export-patches.sh: build/$BASE/linux's commits base..work -> the base's patch directory
# (patches/ for the mainline, patches/$BASE/ for the backport): *.patch and series.
# The cover letter's subject and text come from that directory's cover-letter.txt (first
# line: subject; then a blank line and the body), if it exists, followed by a line that
# names the Debian package the base is; format-patch --base adds the base commit's id.
set -eu
unset TREE VARIANT	# always the series tree and its kernel
. "$(dirname "$0")/common.sh"
if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
	echo "export: $build_rel/linux has uncommitted edits; commit them first" >&2
	exit 1
fi
n=$(git -C "$tree" rev-list --count base..work)
mkdir -p "$pdir"
rm -f "$pdir"/*.patch
printf '# The series, in the order git am applies it.\n' >"$pdir/series"
if [ "$n" -gt 0 ]; then
	cover=()
	if [ -f "$pdir/cover-letter.txt" ]; then
		basepkg=$(git -C "$tree" log -1 --format=%s base)
		git -C "$tree" config branch.work.description "$(cat "$pdir/cover-letter.txt")

Base: Debian's ${basepkg% *} ${basepkg##* } (base-commit below is
its tarball as one commit; the rig's make tree BASE=$base recreates it)."
		cover=(--cover-letter --cover-from-description=subject)
	fi
	git -C "$tree" format-patch -q --no-signature --base=base "${cover[@]}" \
		-o "$pdir" base..work
	(cd "$pdir" && ls [0-9]*.patch | grep -v '^0000-cover-letter' >>series)
fi
# The tree now is what patches/ holds (rig/base-tree.sh's stamps).
git -C "$tree" rev-parse HEAD >"$build/series.applied.head"
(cd "$pdir" && cat series $(grep -v '^#' series)) | sha1sum | cut -d' ' -f1 \
	>"$build/series.applied"
say "export: $n patch(es) written to $pdir_rel"
