#!/bin/bash
# bench-table.sh TSV [FIGURES]: the table of make bench, from rig/bench.sh's figures (TSV:
# kernel, PMUs, row, mode, value, unit, boot; each figure the mean of its boots, and the
# spread of the migration rows over the boots in a row of its own). Prints it; with FIGURES (docs/figures.md),
# replaces what is between the lines "<!-- bench:begin -->" and "<!-- bench:end -->"
# there with it. Never edit that part of docs/figures.md by hand: make bench rewrites it.
set -eu
tsv=$1 fig=${2:-}
md=$(mktemp)
trap 'rm -f "$md"' EXIT

awk -F'\t' '
function v(k, t, r, m) { return ((k SUBSEP t SUBSEP r SUBSEP m) in val) ? val[k, t, r, m] : "" }
# The vPMU share of a row measured against a vCPU without a PMU: mode minus off.
function x(k, t, r, m) {
	if (v(k, t, r, m) == "" || v(k, t, r, "off") == "") return ""
	return v(k, t, r, m) - v(k, t, r, "off")
}
function num(n,   s, neg) {
	if (n == "") return "n/a"
	neg = n < 0; n = neg ? -n : n
	n = sprintf("%.0f", n); s = ""
	while (length(n) > 3) { s = "," substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) }
	return (neg ? "-" : "") n s
}
function ratio(a, b) {
	if (a == "" || b == "" || b == 0) return "n/a"
	return sprintf("%.2f", a / b)
}
function pct(a, b) {
	if (a == "" || b == "" || b == 0) return "n/a"
	return sprintf("%+.1f%%", 100 * (a - b) / b)
}
# One table row: stock (default PMU), series (default PMU), series (attribute),
# re-creating (attribute), series default against stock, series attribute against
# re-creating.
# A cell every boot must fill: its absence from any boot (a kernel that refused the
# attribute, a boot that died) fails the table rather than printing n/a, sentences of
# zeros or a mean of fewer boots than its "off" baseline.
function need(k, t, r, m,   i) {
	i = k SUBSEP t SUBSEP r SUBSEP m
	if (cnt[i] != nb) {
		printf "bench-table: %d of %d boots gave a %s %s figure for %s on %d PMUs\n", cnt[i], nb, r, m, k, t > "/dev/stderr"
		bad = 1
	}
}
function row(name, s, d, f, r,   noratio) {
	printf "| %s | %s | %s | %s | %s | %s | %s |\n", name, num(s), num(d), num(f), num(r),
		noratio ? "" : pct(d, s), noratio ? "" : ratio(f, r)
	S[name] = s; D[name] = d; F[name] = f; R[name] = r
}
# One row over the four columns (stock and series with the default PMU, series and
# re-creating with the attribute): of the figures as they are, of the vPMU share
# (minus "off"), or of the floor ("off" itself).
function vrow(name, t, m) {
	row(name, v("stock", t, m, "default"), v("series", t, m, "default"),
	    v("series", t, m, "fixed"), v("recreate", t, m, "fixed"))
}
function xrow(name, t, m) {
	row(name, x("stock", t, m, "default"), x("series", t, m, "default"),
	    x("series", t, m, "fixed"), x("recreate", t, m, "fixed"))
}
function frow(name, t, m) {
	row(name, v("stock", t, m, "off"), v("series", t, m, "off"), v("series", t, m, "off"),
	    v("recreate", t, m, "off"))
}
{
	k = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4
	sum[k] += $5; cnt[k]++; val[k] = sum[k] / cnt[k]; boots[$7] = 1
	if (!(k in lo) || $5 < lo[k]) lo[k] = $5
	if (!(k in hi) || $5 > hi[k]) hi[k] = $5
}
function spread(k, t, r, m,   i) {
	i = k SUBSEP t SUBSEP r SUBSEP m
	return (i in hi) ? hi[i] - lo[i] : ""
}
END {
	nb = 0
	for (b in boots) nb++
	split("migrate preempt storm read filter pmcr_c floor life slab kvm_vcpu", rows, " ")
	for (t = 2; t <= 3; t++)
		for (i in rows) {
			need("stock", t, rows[i], "default"); need("series", t, rows[i], "default")
			need("series", t, rows[i], "fixed"); need("recreate", t, rows[i], "fixed")
			if (rows[i] ~ /^(migrate|preempt|life|slab)$/)
				for (k = 1; k <= 3; k++) need(k == 1 ? "stock" : k == 2 ? "series" : "recreate", t, rows[i], "off")
		}
	if (bad) exit 1
	for (t = 2; t <= 3; t++) {
		delete S; delete D; delete F; delete R
		printf "\n### %d host PMUs\n\n", t
		print "| row | stock 7.3 | series, default PMU | series, FIXED_COUNTERS_ONLY | re-creating, FIXED_COUNTERS_ONLY | series default vs stock | series / re-creating (attribute) |"
		print "| --- | --- | --- | --- | --- | --- | --- |"
		m = "migrate"
		xrow("extra instructions per cross-cluster migration (vPMU minus no vPMU)", t, m)
		vrow("instructions per cross-cluster migration, vPMU included", t, m)
		row(sprintf("spread of the row above over %d boots (highest minus lowest)", nb),
		    spread("stock", t, m, "default"), spread("series", t, m, "default"),
		    spread("series", t, m, "fixed"), spread("recreate", t, m, "fixed"), 1)
		frow("instructions per cross-cluster migration, no vPMU (the floor)", t, m)
		m = "preempt"
		xrow("extra instructions per preemption of the vCPU thread on its own CPU, after it ran on every cluster (vPMU minus no vPMU)", t, m)
		frow("instructions per preemption, no vPMU (the floor)", t, m)
		m = "storm"
		vrow("migrations per second of emulated time, storm (coarse: bound by the mover'\''s polling)", t, m)
		split("read filter pmcr_c floor", ops, " ")
		split("guest PMCCNTR_EL0 read|guest PMCCFILTR_EL0 write|guest PMCR_EL0 write with C|guest PMSELR_EL0 read (a trap with no perf work)", names, "|")
		for (i = 1; i <= 4; i++)
			vrow("instructions per " names[i] ", vCPU on one cluster", t, ops[i])
		m = "life"
		xrow("extra instructions per vCPU create, init, first run on one CPU, destroy (vPMU minus no vPMU; approximate)", t, m)
		m = "slab"
		xrow("extra slab bytes per vCPU, run by a thread of its own on every cluster (vPMU minus no vPMU)", t, m)
		m = "kvm_vcpu"
		vrow("bytes of struct kvm_vcpu (slab object size)", t, m)

		n = "extra instructions per cross-cluster migration (vPMU minus no vPMU)"
		printf "\nWhat the rows mean, at %d host PMUs:\n\n", t
		for (i = 1; i <= 2; i++) {
			rate = i == 1 ? 100 : 1000
			printf "- Migrations: at %d cross-cluster migrations per second of a vCPU thread, the attribute costs %s instructions a second with the series (%.4f%% of one 1 GHz CPU) and %s with the re-creating design (%.4f%%); KVM'\''s default PMU costs %s on the series and %s on stock.\n",
				rate, num(F[n] * rate), F[n] * rate / 1e7, num(R[n] * rate), R[n] * rate / 1e7,
				num(D[n] * rate), num(S[n] * rate)
		}
		n = "extra instructions per preemption of the vCPU thread on its own CPU, after it ran on every cluster (vPMU minus no vPMU)"
		printf "- Preemptions: every preemption of the vCPU thread (a switch out and back in), migration or not, costs %s instructions with the attribute on the series (the thread carries an event per PMU it has run on), %s on the re-creating design, %s with the default PMU (%s on stock); at 1,000 a second that is %.4f%%, %.4f%% and %.4f%% of one 1 GHz CPU.\n",
			num(F[n]), num(R[n]), num(D[n]), num(S[n]), F[n] * 1000 / 1e7, R[n] * 1000 / 1e7, D[n] * 1000 / 1e7
		m = "extra instructions per cross-cluster migration (vPMU minus no vPMU)"
		if (R[m] > F[m] && F[n] > R[n])
			printf "- Break-even: the series saves %s instructions per migration and pays %s more per preemption than re-creating, so it costs less only while the vCPU thread is preempted on its CPU fewer than %.1f times per cross-cluster migration (a migration'\''s own switch is in the migration row).\n",
				num(R[m] - F[m]), num(F[n] - R[n]), (R[m] - F[m]) / (F[n] - R[n])
		n = "migrations per second of emulated time, storm (coarse: bound by the mover'\''s polling)"
		printf "- Storm: a host thread that moves one vCPU between clusters as soon as it has run again manages %s migrations a second with the attribute on the series, %s on the re-creating design, %s with the default PMU on the series and %s on stock; each move costs about 40 times a migration'\''s kernel work, mostly the mover'\''s own polling, so the row is coarse.\n",
			num(F[n]), num(R[n]), num(D[n]), num(S[n])
		n = "instructions per guest PMCCNTR_EL0 read, vCPU on one cluster"
		printf "- Reads: a guest reading PMCCNTR_EL0 10,000 times a second spends %.3f%% of a 1 GHz CPU on the traps with the attribute (series), %.3f%% without it, %.3f%% on stock.\n",
			F[n] * 1e4 / 1e7, D[n] * 1e4 / 1e7, S[n] * 1e4 / 1e7
		printf "- Filter writes release the counter'\''s events and create one in every mode; with the vCPU on one cluster the series holds one event, its best case (after the vCPU has run on N clusters it releases N). Linux writes PMCCFILTR_EL0 when perf opens the cycles event, not per sample.\n"
		n = "instructions per guest PMCR_EL0 write with C, vCPU on one cluster"
		printf "- PMCR_EL0.C: with the attribute the events stay and the next entry folds (%s instructions), where a default-mode reset releases and creates one (%s); the re-creating design shares the series'\'' write path (%s), so this row compares the attribute with the default PMU, not the two designs.\n",
			num(F[n]), num(D[n]), num(R[n])
		n = "extra instructions per vCPU create, init, first run on one CPU, destroy (vPMU minus no vPMU; approximate)"
		printf "- Lifecycle: a vCPU'\''s PMU costs about %s instructions over a life on one CPU with the attribute on the series, %s on the re-creating design, %s on stock: once per vCPU (the series creates one more event per further cluster the vCPU runs on).\n",
			num(F[n]), num(R[n]), num(S[n])
		n = "extra slab bytes per vCPU, run by a thread of its own on every cluster (vPMU minus no vPMU)"
		printf "- Memory: a vCPU with the attribute that has run on each of the %d clusters holds %s bytes more than one without a PMU on the series (one perf event per PMU and the set), %s on the re-creating design (one event); without the attribute %s on the series and %s on stock.\n",
			t, num(F[n]), num(R[n]), num(D[n]), num(S[n])
	}
}' "$tsv" >"$md" || exit 1

cat "$md"
[ -n "$fig" ] || exit 0
grep -q '^<!-- bench:begin -->$' "$fig" && grep -q '^<!-- bench:end -->$' "$fig" || {
	echo "bench-table: $fig has no bench markers" >&2
	exit 1
}
awk -v md="$md" '
	/^<!-- bench:begin -->$/ { print; while ((getline l < md) > 0) print l; skip = 1; next }
	/^<!-- bench:end -->$/ { skip = 0 }
	!skip
' "$fig" >"$fig.new"
mv "$fig.new" "$fig"
echo "bench-table: wrote the table into ${fig#$PWD/}"
