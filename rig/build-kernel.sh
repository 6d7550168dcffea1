#!/bin/bash
# build-kernel.sh: configure (allnoconfig + rig/kernel.config) and build Image in
# build/kernel, with ccache. Incremental: re-configures only when the fragment changed.
set -eu
. "$(dirname "$0")/common.sh"
frag=$top/rig/kernel.config
mkdir -p "$kobj"
if [ "${TREE:-}" = base ] && [ ! -d "$tree" ]; then
	git -C "$build/linux" worktree add -q --detach "$tree" base
fi
if [ "${VARIANT:-}" = perf ]; then
	sed '/^# Cheap debug options/,$d' "$top/rig/kernel.config" >"$kobj/fragment"
	frag=$kobj/fragment
fi
if [ ! -f "$kobj/.config" ] || ! cmp -s "$frag" "$kobj/.config.fragment"; then
	say "configuring: allnoconfig + rig/kernel.config"
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
say "building $(basename "$kobj")/Image ($(git -C "$tree" rev-list --count base..HEAD) patch(es) on base)"
kmake Image 2>&1 | { grep -v '^  ' || true; }
[ "${PIPESTATUS[0]}" = 0 ] || exit 1
say "Image: $(stat -c %s "$kobj/arch/arm64/boot/Image") bytes"
