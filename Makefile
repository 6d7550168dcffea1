# kvm-hybrid-pmu: the rig. See README.md. Every target is a script under rig/.
# BASE=7.3 (default: rig/mainline-version, the series in patches/) or BASE=6.12 (the
# stable backport, patches/6.12/); everything of a base is built in build/$(BASE)/.
MAINLINE := $(shell grep -v '^\#' rig/mainline-version | head -n 1)
BASE ?= $(MAINLINE)
TOPO ?= 2
BUILD ?= build
export BASE TOPO VARIANT TREE ICOUNT BUILD
RIG := rig

.PHONY: help deps fetch tree kernel selftests guest images demo check series run cost bench export clean distclean

help:
	@sed -n '/^## make targets/,/^## The host/p' README.md | grep '^|'

deps:
	@bash $(RIG)/deps.sh
fetch: deps
	@REFRESH=1 bash $(RIG)/fetch-source.sh
tree: deps
	@bash $(RIG)/base-tree.sh
kernel: tree
	@bash $(RIG)/build-kernel.sh
selftests: kernel
	@bash $(RIG)/build-selftests.sh
guest: kernel
	@bash $(RIG)/build-guest.sh
images: kernel selftests guest

demo: images
	@SHOW=output bash $(RIG)/run-guest.sh demo demo-topo$(TOPO)

PLAN ?= check
run: images
	@bash $(RIG)/run-guest.sh $(PLAN) $(PLAN)-topo$(TOPO)$(if $(TREE),-$(TREE))$(if $(VARIANT),-$(VARIANT))

# Instructions per guest PMU access, on one, two and three PMUs (VARIANT=perf:
# without the debug options; TREE=base: the kernel without the series).
cost: images
	@for t in 1 2 3; do \
		ICOUNT=1 SHOW=output TOPO=$$t bash $(RIG)/run-guest.sh cost \
			cost-topo$$t$(if $(TREE),-$(TREE))$(if $(VARIANT),-$(VARIANT)) | grep -E 'PMU|instructions'; \
	done

# Stock, the series and the re-creating design side by side, under -icount, on two and
# three PMUs: the table (printed, and into docs/figures.md) and the charts (docs/img/).
bench:
	@bash $(RIG)/bench.sh

series: kernel
	@bash $(RIG)/check-series.sh && cat $(BUILD)/results/$(BASE)-series.tsv

check:
	@bash $(RIG)/check.sh

export:
	@bash $(RIG)/export-patches.sh

# clean: the base's build outputs (not its tree, nor the other base's);
# distclean: all of build/, both bases' trees and build/apt (ccache is elsewhere).
clean:
	rm -rf $(BUILD)/$(BASE)/kernel $(BUILD)/$(BASE)/kernel-base $(BUILD)/$(BASE)/kernel-perf \
		$(BUILD)/$(BASE)/kernel-base-perf $(BUILD)/$(BASE)/kernel-recreate \
		$(BUILD)/$(BASE)/selftests \
		$(BUILD)/$(BASE)/selftests-base $(BUILD)/$(BASE)/guest \
		$(BUILD)/$(BASE)/verdicts $(BUILD)/$(BASE)/*.cpio* \
		$(BUILD)/logs/$(BASE)-* $(BUILD)/results/$(BASE)-*
distclean:
	rm -rf $(BUILD)
