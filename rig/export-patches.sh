#!/bin/bash
# export-patches.sh: build/linux's commits base..work -> patches/*.patch + patches/series.
# The cover letter's subject and text come from patches/cover-letter.txt (first line:
# subject; then a blank line and the body), if it exists.
set -eu
unset TREE VARIANT	# always the series tree and its kernel
. "$(dirname "$0")/common.sh"
if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
	echo "export: build/linux has uncommitted edits; commit them first" >&2
	exit 1
fi
n=$(git -C "$tree" rev-list --count base..work)
rm -f "$top"/patches/*.patch
printf '# The series, in the order git am applies it.\n' >"$top/patches/series"
[ "$n" -gt 0 ] || { say "export: no commits on base; patches/ is empty"; exit 0; }
cover=()
if [ -f "$top/patches/cover-letter.txt" ]; then
	git -C "$tree" config branch.work.description "$(cat "$top/patches/cover-letter.txt")"
	cover=(--cover-letter --cover-from-description=subject)
fi
git -C "$tree" format-patch -q --no-signature --base=base "${cover[@]}" \
	-o "$top/patches" base..work
(cd "$top/patches" && ls [0-9]*.patch | grep -v '^0000-cover-letter' >>series)
git -C "$tree" rev-parse HEAD >"$build/series.applied.head"
(cd "$top/patches" && cat series $(grep -v '^#' series)) | sha1sum | cut -d' ' -f1 \
	>"$build/series.applied"
say "export: $n patch(es) written to patches/"
