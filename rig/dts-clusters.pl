#!/usr/bin/perl
# dts-clusters.pl CLUSTERS < qemu-virt.dts > clusters.dts
#
# Rewrites the device tree QEMU's virt machine generates (decompiled with dtc) so that
# the CPUs form CLUSTERS clusters of equal size, each with a PMU node of its own:
#  - the GICv3 gets a ppi-partitions node, one partition per cluster;
#  - its #interrupt-cells goes from 3 to 4, so every GIC interrupt specifier in the
#    tree (interrupts properties and the PCIe interrupt-map) gains a 4th cell, 0 for
#    "not partitioned";
#  - QEMU's single "arm,armv8-pmuv3" node becomes one node per cluster with a distinct
#    compatible, on PPI 7 (QEMU's PMU interrupt) restricted to its partition.
use strict;
use warnings;

my $clusters = shift // die "usage: $0 CLUSTERS < in.dts > out.dts\n";
my @compat = ('arm,cortex-a53-pmu', 'arm,cortex-a72-pmu', 'arm,cortex-a76-pmu');
die "1 to 3 clusters\n" unless $clusters =~ /^[123]$/;

local $/;
my $dts = <STDIN>;

my ($gic) = $dts =~ /intc\@8000000 \{\s*phandle = <(0x[0-9a-f]+)>;/
	or die "no GIC phandle\n";
my %cpu;
while ($dts =~ /\bcpu\@(\d+) \{\s*phandle = <(0x[0-9a-f]+)>;/g) {
	$cpu{$1} = $2;
}
my $ncpu = keys %cpu;
die "$ncpu CPUs do not split into $clusters clusters\n" if $ncpu % $clusters;
my $per = $ncpu / $clusters;

sub cells { my $s = shift; $s =~ s/^\s+|\s+$//g; return split /\s+/, $s; }

# A 4th cell on every 3-cell GIC specifier.
$dts =~ s{(\binterrupts = <)([^>]*)(>;)}{
	my @c = cells($2);
	die "interrupts with ".@c." cells\n" if @c % 3;
	my @o;
	push @o, splice(@c, 0, 3), '0x00' while @c;
	"$1@o$3";
}ge;

# PCIe interrupt-map: child unit address (3) + child pin (1) + parent phandle (1) +
# parent unit address (GIC #address-cells, 2) + parent specifier (3 -> 4).
$dts =~ s{(\binterrupt-map = <)([^>]*)(>;)}{
	my @c = cells($2);
	die "interrupt-map of ".@c." cells\n" if @c % 10;
	my @o;
	while (@c) {
		my @e = splice(@c, 0, 10);
		die "interrupt-map entry not on the GIC\n" unless $e[4] eq $gic;
		push @o, @e, '0x00';
	}
	"$1@o$3";
}ge;

# The GIC: 4 interrupt cells and one PPI partition per cluster.
my $parts = "\n\t\tppi-partitions {\n";
for my $k (0 .. $clusters - 1) {
	my @ph = map { $cpu{$_} } ($k * $per .. ($k + 1) * $per - 1);
	$parts .= "\n\t\t\tpart$k: interrupt-partition-$k {\n" .
		  "\t\t\t\taffinity = <@ph>;\n\t\t\t};\n";
}
$parts .= "\t\t};\n";
$dts =~ s{(intc\@8000000 \{.*?#interrupt-cells = <)0x03(>;\n)}{$1 . '0x04' . $2 . $parts}se
	or die "no GIC #interrupt-cells\n";

# One PMU per cluster instead of QEMU's single one.
my $pmus = '';
for my $k (0 .. $clusters - 1) {
	$pmus .= "\tpmu-cluster$k {\n\t\tcompatible = \"$compat[$k]\";\n" .
		 "\t\tinterrupts = <0x01 0x07 0x04 &part$k>;\n\t};\n\n";
}
$dts =~ s{\tpmu \{\n.*?\n\t\};\n\n}{$pmus}s or die "no pmu node\n";

print $dts;
