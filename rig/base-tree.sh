#!/bin/bash
# base-tree.sh: build/linux = the pinned linux-source-6.12 as one commit (tag "base"),
# with patches/series applied on top by git am. Re-applies when patches/ changed, but
# never over work that exists only in the tree.
set -eu
unset TREE VARIANT	# always the series tree and its kernel
. "$(dirname "$0")/common.sh"
tarball=/usr/src/linux-source-6.12.tar.xz
stamp=$build/series.applied

series_hash() {
	(cd "$top/patches" && cat series $(grep -v '^#' series 2>/dev/null) 2>/dev/null) |
		sha1sum | cut -d' ' -f1
}

apply_series() {
	local p
	[ -f "$top/patches/series" ] || return 0
	for p in $(grep -v '^#' "$top/patches/series"); do
		git -C "$tree" am -q --whitespace=nowarn "$top/patches/$p" || {
			git -C "$tree" am --abort
			echo "base-tree: $p does not apply" >&2
			exit 1
		}
	done
}

git_id() {
	git -C "$tree" -c user.name="kvm-hybrid-pmu rig" \
		-c user.email="rig@kvm-hybrid-pmu.invalid" "$@"
}

if [ ! -d "$tree/.git" ]; then
	say "extracting $(basename $tarball) into build/linux"
	rm -rf "$tree" && mkdir -p "$tree"
	tar -xf "$tarball" -C "$tree" --strip-components=1
	# Debian's packaging block in .gitignore ignores every top-level path, so
	# new files (arch/arm64/kvm/pmu-hybrid.c) would be left out of commits
	# without a word. Drop that block; the kernel's own rules stay.
	sed -i '/^# Debian packaging: ignore everything/,/^!\/debian\/$/d' "$tree/.gitignore"
	say "committing the pristine base"
	git -C "$tree" init -q -b base-tree
	git -C "$tree" config core.autocrlf false
	git -C "$tree" config gc.auto 0
	git -C "$tree" add -A -f .
	GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
		git_id commit -q -m "linux-source-6.12 $(dpkg-query -W -f='${Version}' linux-source-6.12)"
	git -C "$tree" tag base
	git -C "$tree" checkout -q -b work
	apply_series
	git -C "$tree" rev-parse HEAD >"$stamp.head"
	series_hash >"$stamp"
	say "tree ready: $(git -C "$tree" rev-list --count base..HEAD) patch(es) on base"
	exit 0
fi

[ "$(series_hash)" = "$(cat "$stamp" 2>/dev/null)" ] && exit 0

# patches/ changed (a pull, or an export). Re-apply only if the tree holds nothing else.
if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
   [ "$(git -C "$tree" rev-parse HEAD)" != "$(cat "$stamp.head" 2>/dev/null)" ]; then
	if [ "$(cd "$tree" && git format-patch --stdout base..HEAD | git patch-id --stable | cut -d' ' -f1 | sort)" = \
	     "$(cd "$top/patches" && grep -v '^#' series | xargs cat | git patch-id --stable | cut -d' ' -f1 | sort)" ] &&
	   [ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
		# The tree already is what patches/ holds (just exported).
		git -C "$tree" rev-parse HEAD >"$stamp.head"
		series_hash >"$stamp"
		exit 0
	fi
	echo "base-tree: patches/ changed, but build/linux has commits or edits not in patches/." >&2
	echo "base-tree: export them (make export) or drop them (git -C build/linux reset --hard base)." >&2
	exit 1
fi
say "re-applying patches/series on base"
git -C "$tree" checkout -q -B work base
apply_series
git -C "$tree" rev-parse HEAD >"$stamp.head"
series_hash >"$stamp"
