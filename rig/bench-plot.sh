#!/bin/bash
# bench-plot.sh DIR IMG: the charts of make bench, with gnuplot (rig/deps.sh bench), from
# DIR/bench.tsv (rig/bench.sh) and the pmu-hop output of the first two-cluster boots' logs:
#   IMG/bench-pmccntr.png  a guest's PMCCNTR_EL0 while the host moves its vCPU thread
#                          over the CPUs of two clusters: stock (KVM's default PMU) and
#                          the series with KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY
#   IMG/bench-cost.png     what the vPMU costs per cross-cluster migration, per preemption
#                          of the vCPU thread, and per guest PMU access, on each kernel
set -eu
. "$(dirname "$0")/common.sh"
dir=$1 img=$2
mkdir -p "$img"
command -v gnuplot >/dev/null || { echo "bench-plot: no gnuplot (bash rig/deps.sh bench)" >&2; exit 1; }

# The PMCCNTR_EL0 deltas of one pmu-hop pass, cumulated: "step cpu value" lines.
hop() {
	awk -v pass="$2" '
		/^# pass / { on = ($3 == pass ":") ; next }
		on && /^#   [0-9]+ +[0-9]+ +[^ ]+ +[0-9]+$/ { sum += $5; printf "%d %s %.3f\n", n++, $3, sum / 1e6 }
		on && /^#   [0-9]+ +[0-9]+ +[^ ]+ +KVM_EXIT/ { printf "%d %s %.3f\n", n++, $3, sum / 1e6 }
		on && /^# $/ { on = 0 }
	' "$1"
}
hop "$root/logs/$base-bench-stock-topo2-1.log" stock >"$dir/hop-stock.dat"
hop "$root/logs/$base-bench-series-topo2-1.log" fixed >"$dir/hop-fixed.dat"
[ -s "$dir/hop-stock.dat" ] && [ -s "$dir/hop-fixed.dat" ] ||
	{ echo "bench-plot: no pmu-hop output in the two-cluster logs" >&2; exit 1; }

# Per kernel and mode, the mean over the boots, as in the table: the migration row minus
# the mode "off" (the vPMU's share), and the access rows, for 2 and 3 PMUs.
awk -F'\t' '
	{ k = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4; sum[k] += $5; n[k]++; v[k] = sum[k] / n[k] }
	END {
		split("stock default|series default|series fixed|recreate fixed", km, "|")
		split("stock|series|attr|re-create", lab, "|")
		for (i = 1; i <= 4; i++) {
			split(km[i], a, " ")
			printf "\"%s\"", lab[i]
			for (t = 2; t <= 3; t++)
				printf " %d", v[a[1], t, "migrate", a[2]] - v[a[1], t, "migrate", "off"]
			for (t = 2; t <= 3; t++)
				printf " %d %d %d", v[a[1], t, "read", a[2]], v[a[1], t, "filter", a[2]],
					v[a[1], t, "pmcr_c", a[2]]
			for (t = 2; t <= 3; t++)
				printf " %d", v[a[1], t, "preempt", a[2]] - v[a[1], t, "preempt", "off"]
			printf "\n"
		}
	}' "$dir/bench.tsv" >"$dir/cost.dat"

gnuplot <<EOF
set terminal pngcairo size 1000,520 font "DejaVu Sans,11" noenhanced
set output "$img/bench-pmccntr.png"
set title "Guest PMCCNTR_EL0 while the host moves the vCPU thread over two clusters (pmu-hop, QEMU -icount)"
set xlabel "the vCPU thread pinned to host CPU ... (equal guest work per step; CPUs 0-1: cortex-a53 PMU, 2-3: cortex-a72 PMU)"
set ylabel "PMCCNTR_EL0 (millions of cycles)"
set key top left
set grid ytics
set xtics nomirror
set style line 1 lc rgb "#c0392b" lw 2 pt 7
set style line 2 lc rgb "#2471a3" lw 2 pt 5
plot "$dir/hop-stock.dat" using 1:3:xtic(2) with linespoints ls 1 title "stock 7.3, KVM's default PMU (the a53's): flat on the a72", \
     "$dir/hop-fixed.dat" using 1:3 with linespoints ls 2 title "series, KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY: counts everywhere"

set output "$img/bench-cost.png"
set terminal pngcairo size 1500,560 font "DejaVu Sans,11" noenhanced
unset xlabel
set yrange [0:*]
set offsets 0, 0, graph 0.25, 0
set key inside top left
set xtics font ",10"
set multiplot layout 1,3 title "What the vPMU costs the host (make bench, QEMU -icount). stock, series: default PMU; attr: the series with FIXED_COUNTERS_ONLY; re-create: the other design with it"
unset title
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set xtics nomirror
set title "extra instructions per cross-cluster migration of a running vCPU\n(boot-to-boot spread up to 1,400: see the table)"
set ylabel "instructions (vPMU minus no vPMU)"
plot "$dir/cost.dat" using 2:xtic(1) title "2 host PMUs" lc rgb "#2471a3", \
     "" using 3 title "3 host PMUs" lc rgb "#85c1e9"
set title "extra instructions per preemption of the vCPU thread"
set ylabel "instructions (vPMU minus no vPMU)"
plot "$dir/cost.dat" using 10:xtic(1) title "2 host PMUs" lc rgb "#2471a3", \
     "" using 11 title "3 host PMUs" lc rgb "#85c1e9"
set title "instructions per trapped guest access (2 host PMUs)"
set ylabel "instructions"
plot "$dir/cost.dat" using 4:xtic(1) title "PMCCNTR_EL0 read" lc rgb "#1e8449", \
     "" using 5 title "PMCCFILTR_EL0 write" lc rgb "#b9770e", \
     "" using 6 title "PMCR_EL0 write, C" lc rgb "#7d3c98"
unset multiplot
EOF
echo "bench-plot: wrote ${img#$top/}/bench-pmccntr.png and ${img#$top/}/bench-cost.png"
