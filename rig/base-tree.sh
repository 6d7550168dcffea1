#!/bin/bash
# base-tree.sh: build/$BASE/linux = Debian's linux-source-$BASE as one commit (tag "base",
# subject "linux-source-$BASE VERSION"), with the base's series (patches/series, or
# patches/$BASE/series for the backport) applied on top by git am, on branch work.
# The mainline source is the newest version Debian offers (rig/fetch-source.sh); the
# backport's is the package rig/deps.sh installed. The version in use is recorded in
# build/$BASE/source-version. Re-creates the base when that version changes and
# re-applies the series when patches/ changed, but never over work that exists only in
# the tree: then it stops and says so. A tree made by hand the same way (one commit
# "linux-source-$BASE VERSION" tagged base, branch work) is adopted as it is.
set -eu
unset TREE VARIANT	# always the series tree and its kernel
. "$(dirname "$0")/common.sh"
stamp=$build/series.applied

if [ "$base" = "$mainline" ]; then
	bash "$top/rig/fetch-source.sh"
	version=$(cat "$root/apt/$pkg.version")
	tarball=$root/apt/${pkg}_$version.tar.xz
else
	version=$(dpkg-query -W -f='${Version}' "$pkg")
	tarball=/usr/src/$pkg.tar.xz
fi
subject="$pkg $version"

series_hash() {
	(cd "$pdir" && cat series $(grep -v '^#' series 2>/dev/null) 2>/dev/null) |
		sha1sum | cut -d' ' -f1
}

apply_series() {
	local p
	[ -f "$pdir/series" ] || return 0
	for p in $(grep -v '^#' "$pdir/series"); do
		git -C "$tree" am -q --whitespace=nowarn "$pdir/$p" || {
			git -C "$tree" am --abort
			echo "base-tree: $pdir_rel$p does not apply to $subject" >&2
			exit 1
		}
	done
}

git_id() {
	GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
	git -c user.name="kvm-hybrid-pmu rig" -c user.email="rig@kvm-hybrid-pmu.invalid" "$@"
}

# Extracts the tarball into $1, file times = now (as a git checkout would leave
# them, so that an existing object directory never looks newer than a source).
extract() {
	mkdir -p "$1"
	tar -xf "$tarball" -C "$1" --strip-components=1 --touch
	# Debian's packaging block in .gitignore ignores every top-level path, so
	# new files (arch/arm64/kvm/pmu-hybrid.c) would be left out of commits
	# without a word. Drop that block; the kernel's own rules stay.
	sed -i '/^# Debian packaging: ignore everything/,/^!\/debian\/$/d' "$1/.gitignore"
}

# Records that the tree is patches/ applied to $version.
stamps() {
	echo "$version" >"$build/source-version"
	git -C "$tree" rev-parse HEAD >"$stamp.head"
	series_hash >"$stamp"
}

# True when the tree holds nothing that patches/ does not: no edits, and its commits
# are the ones last applied or exported, or patch for patch what the series holds.
in_sync() {
	[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] || return 1
	[ "$(git -C "$tree" rev-parse HEAD)" = "$(cat "$stamp.head" 2>/dev/null)" ] && return 0
	[ "$(cd "$tree" && git format-patch --stdout base..HEAD | git patch-id --stable | cut -d' ' -f1 | sort)" = \
	  "$(cd "$pdir" && grep -v '^#' series | xargs -r cat | git patch-id --stable | cut -d' ' -f1 | sort)" ]
}

refuse() {
	echo "base-tree: $1: $build_rel/linux has commits or edits that are not in $pdir_rel." >&2
	echo "base-tree: export them (make export BASE=$base) or drop them" \
	     "(git -C $build_rel/linux reset --hard base); then make tree BASE=$base." >&2
	exit 1
}

if [ ! -d "$tree/.git" ]; then
	mkdir -p "$build"
	say "extracting $(basename "$tarball") ($version) into $build_rel/linux"
	rm -rf "$tree"
	extract "$tree"
	say "committing the pristine base"
	git -C "$tree" init -q -b base-tree
	git -C "$tree" config core.autocrlf false
	git -C "$tree" config gc.auto 0
	git -C "$tree" -c core.looseCompression=1 add -A -f .
	git_id -C "$tree" commit -q -m "$subject"
	git -C "$tree" tag base
	git -C "$tree" checkout -q -b work
	apply_series
	stamps
	say "tree ready: $(git -C "$tree" rev-list --count base..HEAD) patch(es) on $subject"
	exit 0
fi

# Which version the tree is: the recorded one, or (a tree made by hand) its base
# commit's subject, if that is a single commit named the way this script names it.
have=$(cat "$build/source-version" 2>/dev/null || true)
if [ -z "$have" ]; then
	s=$(git -C "$tree" log -1 --format=%s base 2>/dev/null || true)
	if [ "${s% *}" != "$pkg" ] || [ "$(git -C "$tree" rev-list --count base 2>/dev/null)" != 1 ] ||
	   ! git -C "$tree" rev-parse -q --verify refs/heads/work >/dev/null; then
		echo "base-tree: $build_rel/linux is not a tree this rig made: its tag base should be" \
		     "one commit \"$pkg VERSION\" and it should have a branch work. Move it away." >&2
		exit 1
	fi
	have=${s##* }
	say "adopting $build_rel/linux ($pkg $have)"
	echo "$have" >"$build/source-version"
fi

if [ "$have" != "$version" ]; then
	in_sync || refuse "Debian's $pkg is now $version, the tree is on $have"
	say "re-creating the base: $pkg $have -> $version"
	new=$build/linux.new
	rm -rf "$new" "$new.index"
	extract "$new"
	GIT_INDEX_FILE=$new.index git --git-dir="$tree/.git" --work-tree="$new" -C "$new" \
		-c core.looseCompression=1 add -A -f .
	t=$(GIT_INDEX_FILE=$new.index git --git-dir="$tree/.git" write-tree)
	c=$(git_id -C "$tree" commit-tree -m "$subject" "$t")
	rm -rf "$new" "$new.index"
	git -C "$tree" tag -f base "$c" >/dev/null
	git -C "$tree" branch -f base-tree "$c"
	# Only the files that differ are rewritten: the next build is incremental.
	git -C "$tree" checkout -q -B work base
	apply_series
	stamps
	say "tree ready: $(git -C "$tree" rev-list --count base..HEAD) patch(es) on $subject"
	exit 0
fi

[ "$(series_hash)" = "$(cat "$stamp" 2>/dev/null)" ] && exit 0

# patches/ changed (a pull, or an export), or the tree is adopted. Re-apply only if
# the tree holds nothing else.
if ! { [ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] &&
       [ "$(git -C "$tree" rev-parse HEAD)" = "$(cat "$stamp.head" 2>/dev/null)" ]; }; then
	# The tree already is what patches/ holds (just exported, or adopted)?
	in_sync && { stamps; exit 0; }
	if [ -f "$stamp" ]; then
		refuse "$pdir_rel changed"
	else
		refuse "cannot adopt the tree"
	fi
fi
say "re-applying ${pdir_rel}series on base"
git -C "$tree" checkout -q -B work base
apply_series
stamps
