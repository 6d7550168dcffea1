#!/bin/bash
# build-kernel.sh: configure (allnoconfig + rig/kernel.config) and build Image in
# build/$BASE/kernel (VARIANT=perf|debug|recreate: kernel-VARIANT), with ccache.
# Incremental: re-configures only when the fragment changed. TREE=base: the base without the series, from a worktree at tag base
# (build/$BASE/linux-base, moved along when the base is re-created), in kernel-base.
set -eu
. "$(dirname "$0")/common.sh"
frag=$top/rig/kernel.config
mkdir -p "$kobj"
if [ "${TREE:-}" = base ]; then
	if [ ! -d "$tree" ]; then
		git -C "$build/linux" worktree add -q --detach "$tree" base
	elif [ "$(git -C "$tree" rev-parse HEAD)" != "$(git -C "$tree" rev-parse base)" ]; then
		git -C "$tree" checkout -q --detach base
	fi
fi
# VARIANT=recreate: the series (build/$BASE/linux's branch work) plus
# rig/bench/recreate-$BASE.patch, in the worktree build/$BASE/linux-recreate, re-made
# when either changed.
if [ "${VARIANT:-}" = recreate ]; then
	head=$(git -C "$build/linux" rev-parse work)
	want="$head $(sha1sum <"$top/rig/bench/recreate-$base.patch" | cut -d' ' -f1)"
	if [ ! -d "$tree" ]; then
		git -C "$build/linux" worktree add -q --detach "$tree" "$head"
	fi
	if [ "$(cat "$build/recreate.applied" 2>/dev/null)" != "$want" ]; then
		git -C "$tree" am -q --abort 2>/dev/null || true
		git -C "$tree" checkout -q --detach -f "$head"
		git -C "$tree" -c user.name=rig -c user.email=rig@localhost am -q \
			"$top/rig/bench/recreate-$base.patch"
		echo "$want" >"$build/recreate.applied"
	fi
fi
# VARIANT=perf (and recreate): rig/kernel.config without its debug options (from the
# line "# Cheap debug options" on); VARIANT=debug: rig/kernel.config and
# rig/kernel-debug.config.
case "${VARIANT:-}" in
perf | recreate)	sed '/^# Cheap debug options/,$d' "$top/rig/kernel.config" >"$kobj/fragment"
	frag=$kobj/fragment ;;
debug)	cat "$top/rig/kernel.config" "$top/rig/kernel-debug.config" >"$kobj/fragment"
	frag=$kobj/fragment ;;
esac
if [ ! -f "$kobj/.config" ] || ! cmp -s "$frag" "$kobj/.config.fragment"; then
	say "configuring: allnoconfig + rig/kernel.config${VARIANT:+ (VARIANT=$VARIANT)}"
	kmake KCONFIG_ALLCONFIG="$frag" allnoconfig >/dev/null
	bad=0
	while IFS= read -r line; do
		case "$line" in CONFIG_*) ;; *) continue ;; esac
		grep -qxF "$line" "$kobj/.config" || {
			echo "build-kernel: $line did not stick" >&2
			bad=1
		}
	done <"$frag"
	[ $bad = 0 ] || exit 1
	cp "$frag" "$kobj/.config.fragment"
fi
say "building $build_rel/$(basename "$kobj")/Image ($(git -C "$tree" rev-list --count base..HEAD) patch(es) on $(git -C "$tree" log -1 --format=%s base))"
kmake Image 2>&1 | { grep -v '^  ' || true; }
[ "${PIPESTATUS[0]}" = 0 ] || exit 1
# The boots' copy ($image), replaced in one step: a boot that starts now reads either.
cp "$kobj/arch/arm64/boot/Image" "$image.tmp"
mv "$image.tmp" "$image"
say "Image: $(stat -c %s "$image") bytes"
