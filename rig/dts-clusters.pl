#!/usr/bin/perl
# dts-clusters.pl SIZES < qemu-virt.dts > clusters.dts
#
# Rewrites the device tree QEMU's virt machine generates (decompiled with dtc) so that
# the CPUs form clusters, in CPU order, of the sizes SIZES gives ("2,2": two clusters of
# two CPUs; "2,1,1,1,1"; "2,2n": a size ending in "n" is a cluster without a PMU node).
# Each other cluster has a PMU node of its own:
#  - the GICv3 gets a ppi-partitions node, one partition per cluster with a PMU;
#  - its #interrupt-cells goes from 3 to 4, so every GIC interrupt specifier in the
#    tree (interrupts properties and the PCIe interrupt-map) gains a 4th cell, 0 for
#    "not partitioned";
#  - QEMU's single "arm,armv8-pmuv3" node becomes one node per cluster with a distinct
#    compatible, on PPI 7 (QEMU's PMU interrupt) restricted to its partition.
# The root node gets "rig,clusters", the clusters' CPU lists ("0-1 2-3"), and, when a
# cluster has no PMU, "rig,no-pmu", their CPUs ("2-3"): guest/init.c checks the host's
# PMUs against them (@topology).
use strict;
use warnings;

my $spec = shift // die "usage: $0 SIZES < in.dts > out.dts\n";
my @compat = ('arm,cortex-a53-pmu', 'arm,cortex-a72-pmu', 'arm,cortex-a76-pmu',
	      'arm,cortex-a55-pmu', 'arm,cortex-a57-pmu');
my @sizes = split /,/, $spec;
die "SIZES: a list such as 2,2 or 2,2n\n" if grep { !/^[1-9]n?$/ } @sizes;
die "at most " . @compat . " clusters\n" if @sizes > @compat;

local $/;
my $dts = <STDIN>;

my ($gic) = $dts =~ /intc\@8000000 \{\s*phandle = <(0x[0-9a-f]+)>;/
	or die "no GIC phandle\n";
my %cpu;
while ($dts =~ /\bcpu\@(\d+) \{\s*phandle = <(0x[0-9a-f]+)>;/g) {
	$cpu{$1} = $2;
}
my $ncpu = keys %cpu;
my $want = 0;
$want += $_ =~ s/n$//r for @sizes;
die "$ncpu CPUs, but the clusters $spec have $want\n" if $ncpu != $want;

# The clusters: their first CPU, size and whether they have a PMU.
my (@first, @size, @haspmu);
my $next = 0;
for (@sizes) {
	my ($n, $nopmu) = /^(\d+)(n?)$/;
	push @first, $next;
	push @size, $n;
	push @haspmu, !$nopmu;
	$next += $n;
}
sub cpulist { my ($a, $n) = @_; return $n == 1 ? "$a" : "$a-" . ($a + $n - 1); }

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

# The GIC: 4 interrupt cells and one PPI partition per cluster with a PMU.
my $parts = "\n\t\tppi-partitions {\n";
for my $k (0 .. $#sizes) {
	next unless $haspmu[$k];
	my @ph = map { $cpu{$_} } ($first[$k] .. $first[$k] + $size[$k] - 1);
	$parts .= "\n\t\t\tpart$k: interrupt-partition-$k {\n" .
		  "\t\t\t\taffinity = <@ph>;\n\t\t\t};\n";
}
$parts .= "\t\t};\n";
$dts =~ s{(intc\@8000000 \{.*?#interrupt-cells = <)0x03(>;\n)}{$1 . '0x04' . $2 . $parts}se
	or die "no GIC #interrupt-cells\n";

# One PMU per cluster that has one, instead of QEMU's single one.
my $pmus = '';
for my $k (0 .. $#sizes) {
	next unless $haspmu[$k];
	$pmus .= "\tpmu-cluster$k {\n\t\tcompatible = \"$compat[$k]\";\n" .
		 "\t\tinterrupts = <0x01 0x07 0x04 &part$k>;\n\t};\n\n";
}
$dts =~ s{\tpmu \{\n.*?\n\t\};\n\n}{$pmus}s or die "no pmu node\n";

# What the rig expects of the host's PMUs.
my $desc = "\trig,clusters = \"" .
	   join(' ', map { cpulist($first[$_], $size[$_]) } 0 .. $#sizes) . "\";\n";
my @nopmu = map { cpulist($first[$_], $size[$_]) } grep { !$haspmu[$_] } 0 .. $#sizes;
$desc .= "\trig,no-pmu = \"" . join(',', @nopmu) . "\";\n" if @nopmu;
$dts =~ s{^(/ \{\n)}{$1$desc}m or die "no root node\n";

print $dts;
