# kvm-hybrid-pmu: the rig. See README.md. Every target is a script under rig/.
TOPO ?= 2
export TOPO VARIANT TREE ICOUNT
RIG := rig

.PHONY: help deps tree kernel selftests guest images demo check series run cost export clean distclean

help:
	@sed -n '/^## make targets/,/^## The host/p' README.md | grep '^|'

deps:
	@bash $(RIG)/deps.sh
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
	@SHOW=output bash $(RIG)/run-guest.sh $(RIG)/plans/demo.plan demo-topo$(TOPO)

PLAN ?= check
run: images
	@bash $(RIG)/run-guest.sh $(RIG)/plans/$(PLAN).plan $(PLAN)-topo$(TOPO)

# Instructions per guest PMU access, on one, two and three PMUs (VARIANT=perf:
# without the debug options; TREE=base: the kernel without the series).
cost: images
	@for t in 1 2 3; do \
		ICOUNT=1 SHOW=output TOPO=$$t bash $(RIG)/run-guest.sh $(RIG)/plans/cost.plan \
			cost-topo$$t$(if $(TREE),-$(TREE))$(if $(VARIANT),-$(VARIANT)) | grep -E 'PMU|instructions'; \
	done

series: tree
	@bash $(RIG)/check-series.sh && cat build/results/series.tsv

check:
	@bash $(RIG)/check.sh

export:
	@bash $(RIG)/export-patches.sh

clean:
	rm -rf build/kernel build/selftests build/guest build/logs build/results build/*.cpio*
distclean:
	rm -rf build
