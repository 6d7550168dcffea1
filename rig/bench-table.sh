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
function row(name, s, d, f, r,   noratio) {
	printf "| %s | %s | %s | %s | %s | %s | %s |\n", name, num(s), num(d), num(f), num(r),
		noratio ? "" : pct(d, s), noratio ? "" : ratio(f, r)
	S[name] = s; D[name] = d; F[name] = f; R[name] = r
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
	for (t = 2; t <= 3; t++) {
		delete S; delete D; delete F; delete R
		printf "\n### %d host PMUs\n\n", t
		print "| row | stock 7.3 | series, default PMU | series, FIXED_COUNTERS_ONLY | re-creating, FIXED_COUNTERS_ONLY | series default vs stock | series / re-creating (attribute) |"
		print "| --- | --- | --- | --- | --- | --- | --- |"
		m = "migrate"
		row("extra instructions per cross-cluster migration (vPMU minus no vPMU)",
		    x("stock", t, m, "default"), x("series", t, m, "default"),
		    x("series", t, m, "fixed"), x("recreate", t, m, "fixed"))
		row("instructions per cross-cluster migration, vPMU included",
		    v("stock", t, m, "default"), v("series", t, m, "default"),
		    v("series", t, m, "fixed"), v("recreate", t, m, "fixed"))
		row(sprintf("spread of the row above over %d boots (highest minus lowest)", nb),
		    spread("stock", t, m, "default"), spread("series", t, m, "default"),
		    spread("series", t, m, "fixed"), spread("recreate", t, m, "fixed"), 1)
		row("instructions per cross-cluster migration, no vPMU (the floor)",
		    v("stock", t, m, "off"), v("series", t, m, "off"), v("series", t, m, "off"),
		    v("recreate", t, m, "off"))
		m = "storm"
		row("migrations per second of emulated time, storm",
		    v("stock", t, m, "default"), v("series", t, m, "default"),
		    v("series", t, m, "fixed"), v("recreate", t, m, "fixed"))
		split("read filter pmcr_c floor", ops, " ")
		split("guest PMCCNTR_EL0 read|guest PMCCFILTR_EL0 write|guest PMCR_EL0 write with C|guest PMSELR_EL0 read (a trap with no perf work)", names, "|")
		for (i = 1; i <= 4; i++)
			row("instructions per " names[i], v("stock", t, ops[i], "default"),
			    v("series", t, ops[i], "default"), v("series", t, ops[i], "fixed"),
			    v("recreate", t, ops[i], "fixed"))
		m = "life"
		row("extra instructions per vCPU create, init, first run, destroy (vPMU minus no vPMU)",
		    x("stock", t, m, "default"), x("series", t, m, "default"),
		    x("series", t, m, "fixed"), x("recreate", t, m, "fixed"))
		m = "slab"
		row("extra slab bytes per vCPU, run on every cluster (vPMU minus no vPMU)",
		    x("stock", t, m, "default"), x("series", t, m, "default"),
		    x("series", t, m, "fixed"), x("recreate", t, m, "fixed"))
		m = "kvm_vcpu"
		row("bytes of struct kvm_vcpu (slab object size)",
		    v("stock", t, m, "default"), v("series", t, m, "default"),
		    v("series", t, m, "fixed"), v("recreate", t, m, "fixed"))

		n = "extra instructions per cross-cluster migration (vPMU minus no vPMU)"
		printf "\nWhat the rows mean, at %d host PMUs:\n\n", t
		for (i = 1; i <= 2; i++) {
			rate = i == 1 ? 100 : 1000
			printf "- Migrations: at %d cross-cluster migrations per second of a vCPU thread, the attribute costs %s instructions a second with the series (%.4f%% of one 1 GHz CPU) and %s with the re-creating design (%.4f%%); KVM'\''s default PMU costs %s on the series and %s on stock.\n",
				rate, num(F[n] * rate), F[n] * rate / 1e7, num(R[n] * rate), R[n] * rate / 1e7,
				num(D[n] * rate), num(S[n] * rate)
		}
		n = "migrations per second of emulated time, storm"
		printf "- Storm: a host that does nothing but move one vCPU between clusters manages %s migrations a second with the attribute on the series and %s on the re-creating design (%s without the attribute on the series, %s on stock).\n",
			num(F[n]), num(R[n]), num(D[n]), num(S[n])
		n = "instructions per guest PMCCNTR_EL0 read"
		printf "- Reads: a guest reading PMCCNTR_EL0 10,000 times a second spends %.3f%% of a 1 GHz CPU on the traps with the attribute (series), %.3f%% without it, %.3f%% on stock.\n",
			F[n] * 1e4 / 1e7, D[n] * 1e4 / 1e7, S[n] * 1e4 / 1e7
		n = "instructions per guest PMCCFILTR_EL0 write"
		printf "- Filter writes re-create the counter'\''s events in every design; Linux writes PMCCFILTR_EL0 when perf opens the cycles event, not per sample.\n"
		n = "instructions per guest PMCR_EL0 write with C"
		printf "- PMCR_EL0.C: with the attribute the series keeps its events and folds on the next entry (%s instructions), where a default-mode reset releases and creates one (%s); the re-creating design is the series here (%s).\n",
			num(F[n]), num(D[n]), num(R[n])
		n = "extra instructions per vCPU create, init, first run, destroy (vPMU minus no vPMU)"
		printf "- Lifecycle: a vCPU'\''s PMU costs %s instructions over its life with the attribute on the series, %s on the re-creating design, %s on stock: once per vCPU, not per second.\n",
			num(F[n]), num(R[n]), num(S[n])
		n = "extra slab bytes per vCPU, run on every cluster (vPMU minus no vPMU)"
		printf "- Memory: a vCPU with the attribute that has run on each of the %d clusters holds %s bytes more than one without a PMU on the series (one perf event per PMU and the set), %s on the re-creating design (one event); without the attribute %s on the series and %s on stock.\n",
			t, num(F[n]), num(R[n]), num(D[n]), num(S[n])
	}
}' "$tsv" >"$md"

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
