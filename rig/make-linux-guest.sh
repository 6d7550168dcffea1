#!/bin/bash
# make-linux-guest.sh: what guest/linux-vmm boots, into build/$BASE/linux-guest/: the
# initramfs (its /init is guest/linux-guest-perf) and, made here with dtc, the device
# trees vcpusN.dtb (N = 1 to 4 vCPUs, a PMUv3 on PPI 7) and vcpusN-nopmu.dtb (no PMU
# node, for --pmu off). The guest kernel is the host's own Image (rig/make-initramfs.sh
# puts the three in the host's /guest). The addresses are linux-vmm.c's guest map; the
# initramfs goes at 130 MiB into RAM, after the device tree's 2 MiB at 128 MiB.
set -eu
. "$(dirname "$0")/common.sh"
out=$build/linux-guest
mkdir -p "$out"
cpio=$out/initramfs.cpio
cat >"$out/initramfs.list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $build/guest/linux-guest-perf 0755 0 0
LIST
"$kobj/usr/gen_init_cpio" "$out/initramfs.list" >"$cpio.$$"
mv -f "$cpio.$$" "$cpio"
size=$(stat -c %s "$cpio")
start=$((0x48200000))
end=$((start + size))

dts() {
	local n=$1 pmu=$2 i
	cat <<DTS
/dts-v1/;
/ {
	compatible = "linux,dummy-virt";
	#address-cells = <2>;
	#size-cells = <2>;
	interrupt-parent = <&gic>;

	chosen {
		bootargs = "console=ttyAMA0 earlycon=pl011,mmio32,0x9000000 rdinit=/init loglevel=5 panic=-1";
		stdout-path = "/pl011@9000000";
		linux,initrd-start = <0x0 $(printf '%#x' $start)>;
		linux,initrd-end = <0x0 $(printf '%#x' $end)>;
	};
	memory@40000000 {
		device_type = "memory";
		reg = <0x0 0x40000000 0x0 0x10000000>;
	};
	cpus {
		#address-cells = <1>;
		#size-cells = <0>;
DTS
	for ((i = 0; i < n; i++)); do
		printf '\t\tcpu@%d {\n\t\t\tdevice_type = "cpu";\n\t\t\tcompatible = "arm,armv8";\n' $i
		printf '\t\t\treg = <%d>;\n\t\t\tenable-method = "psci";\n\t\t};\n' $i
	done
	cat <<DTS
	};
	psci {
		compatible = "arm,psci-1.0", "arm,psci-0.2";
		method = "hvc";
	};
	gic: intc@8000000 {
		compatible = "arm,gic-v3";
		#interrupt-cells = <3>;
		#address-cells = <2>;
		#size-cells = <2>;
		interrupt-controller;
		ranges;
		reg = <0x0 0x8000000 0x0 0x10000>, <0x0 0x80a0000 0x0 $(printf '%#x' $((n * 0x20000)))>;
	};
	timer {
		compatible = "arm,armv8-timer";
		interrupts = <1 13 4>, <1 14 4>, <1 11 4>, <1 10 4>;
		always-on;
	};
DTS
	[ "$pmu" = 0 ] || cat <<DTS
	pmu {
		compatible = "arm,armv8-pmuv3";
		interrupts = <1 7 4>;
	};
DTS
	cat <<DTS
	apb_pclk: apb-pclk {
		compatible = "fixed-clock";
		#clock-cells = <0>;
		clock-frequency = <24000000>;
		clock-output-names = "clk24mhz";
	};
	pl011@9000000 {
		compatible = "arm,pl011", "arm,primecell";
		reg = <0x0 0x9000000 0x0 0x1000>;
		interrupts = <0 1 4>;
		clocks = <&apb_pclk>, <&apb_pclk>;
		clock-names = "uartclk", "apb_pclk";
	};
};
DTS
}

for n in 1 2 3 4; do
	for pmu in 1 0; do
		f=$out/vcpus$n$([ $pmu = 1 ] || echo -nopmu)
		dts $n $pmu >"$f.dts"
		dtc -q -I dts -O dtb -o "$f.dtb" "$f.dts"
	done
done
