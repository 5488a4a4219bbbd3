#!/usr/bin/env bash
# report.sh runs every comparison in the README's Benchmarks table and
# prints the table from this run: medians, ranges, the peer's figures from
# the same rounds, the machine, the date and the commit.
#
#   bench/report.sh [-quick] [-rounds N] [-bench REGEXP] [-cpu1 REGEXP] [-out DIR] [-no-external] [-no-go]
#
#   -quick        small counts and short runs (a check that every part works;
#                 the POP3 and IMAP comparisons run in the first round only)
#   -rounds N     rounds of the Go benchmarks (default 10; -quick 3)
#   -bench RE     only the Go benchmarks matching RE (default: all in bench/)
#   -cpu1 RE      the Go benchmarks run a second time in each round with
#                 GOMAXPROCS=1 (-test.cpu 1), reported in their own table
#                 (default: the fresh-allocation rows, DNSUnpackFresh and
#                 MailRead; "" for none). On a near-empty heap with two Ps
#                 each GC cycle costs far more than with one, and the cost
#                 is paid per byte allocated (bench/results/rfc5322.md), so
#                 these rows are shown both ways.
#   -out DIR      where the raw outputs go (default: a new temp directory)
#   -no-external  skip the comparisons with external servers
#   -no-go        skip the Go benchmarks (only the external comparisons)
#
# Go benchmarks: the test binary is built once and run once per round
# (-test.count 1), so every implementation of every benchmark is measured
# in every round and the rounds are interleaved in time; benchreport then
# takes medians and per-round ratios (benchstat's output, when it can be
# run, is saved beside the raw data). External comparisons, each run only
# when its programs are installed (and as root where it needs port 53 or
# Postfix): resolver vs Unbound and zone vs NSD under dnsperf with 1 and
# then 2 CPUs each (their interop tests, rounds alternating),
# examples/relay vs Postfix under smtp-source (examples/relay/bench,
# rounds alternating). Nothing here is a pass/fail test: a benchmark
# never fails on a time.
set -euo pipefail

quick=0
rounds=""
benchre="."
cpu1re='DNSUnpackFresh|MailRead'
out=""
external=1
gobench=1
while [ $# -gt 0 ]; do
	case "$1" in
	-quick) quick=1 ;;
	-rounds) rounds="$2"; shift ;;
	-bench) benchre="$2"; shift ;;
	-cpu1) cpu1re="$2"; shift ;;
	-out) out="$2"; shift ;;
	-no-external) external=0 ;;
	-no-go) gobench=0 ;;
	*) echo "usage: $0 [-quick] [-rounds N] [-bench RE] [-cpu1 RE] [-out DIR] [-no-external] [-no-go]" >&2; exit 2 ;;
	esac
	shift
done

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
if [ -z "$rounds" ]; then
	if [ $quick = 1 ]; then rounds=3; else rounds=10; fi
fi
if [ $quick = 1 ]; then
	benchtime="-test.benchtime=0.05s"
	dnsperf_secs=2
	relay_args="-m 2000 -rounds 1"
else
	benchtime="-test.benchtime=1s"
	dnsperf_secs=10
	relay_args="-m 20000 -rounds 5"
fi
[ -n "$out" ] || out="$(mktemp -d /tmp/relaykit-report.XXXXXX)"
mkdir -p "$out"

load() { cut -d' ' -f1-3 /proc/loadavg; }
commit="$(git -C "$root" rev-parse --short HEAD)"
if [ -n "$(git -C "$root" status --porcelain 2>/dev/null)" ]; then commit="$commit (with uncommitted changes)"; fi
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"

echo "# relaykit benchmark report"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- commit: $commit"
echo "- machine: $(nproc) CPUs ($cpu), $(uname -sr), $(go version | cut -d' ' -f3)"
echo "- load average at start: $(load)"
if [ $gobench = 1 ]; then
	echo "- mode: $([ $quick = 1 ] && echo quick || echo full), $rounds rounds of the Go benchmarks ($benchtime), raw data in $out"
else
	echo "- mode: $([ $quick = 1 ] && echo quick || echo full), external comparisons only, raw data in $out"
fi
echo

if [ $gobench = 1 ]; then
	# Go benchmarks, interleaved rounds.
	cd "$here"
	go test -c -o "$out/bench.test" . >&2
	: >"$out/go.txt"
	: >"$out/go-cpu1.txt"
	for i in $(seq "$rounds"); do
		echo "round $i/$rounds of the Go benchmarks (load $(load))" >&2
		skip='^$'
		if [ $quick = 1 ] && [ "$i" -gt 1 ]; then
			# The POP3 and IMAP comparisons fill 10,000-message stores and
			# start Dovecot each time (minutes per round): once is enough
			# for a check.
			skip='POP3|IMAP'
		fi
		"$out/bench.test" -test.run '^$' -test.bench "$benchre" -test.skip "$skip" -test.benchmem -test.count 1 $benchtime >>"$out/go.txt"
		if [ -n "$cpu1re" ]; then
			"$out/bench.test" -test.run '^$' -test.bench "$cpu1re" -test.skip "$skip" -test.benchmem -test.count 1 -test.cpu 1 $benchtime >>"$out/go-cpu1.txt"
		fi
	done
	echo "## Go benchmarks (bench/), $rounds interleaved rounds"
	echo
	echo "Medians over the rounds, [min-max]. The ratio is peer/relaykit per round"
	echo "(above 1: relaykit is faster), median and range over the rounds, of the"
	echo "server's CPU per message where measured (srv-cpu-ns/msg), else the"
	echo "process CPU per op (cpu-ns/op), else wall time (ns/op)."
	echo
	go run ./cmd/benchreport "$out/go.txt"
	echo
	if [ -s "$out/go-cpu1.txt" ] && grep -q '^Benchmark' "$out/go-cpu1.txt"; then
		echo "### The same rounds at GOMAXPROCS=1: $cpu1re"
		echo
		echo "Run right after each round's benchmarks above, in the same process"
		echo "image with -test.cpu 1: the allocation-heavy rows without the"
		echo "second P's per-GC-cycle work (bench/results/rfc5322.md)."
		echo
		go run ./cmd/benchreport "$out/go-cpu1.txt"
		echo
	fi
	if go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /impl "$out/go.txt" >"$out/benchstat.txt" 2>/dev/null; then
		echo "benchstat -col /impl output: $out/benchstat.txt"
		echo
	fi
fi

if [ $external = 1 ]; then
	have() { command -v "$1" >/dev/null 2>&1; }
	root_user=0
	[ "$(id -u)" = 0 ] && root_user=1

	echo "## Servers under external load generators"
	echo
	# perf TITLE PKG TEST OUTFILE PATTERN ENV...: one server comparison,
	# an interop test of PKG run with ENV, the lines matching PATTERN shown.
	perf() {
		local title=$1 pkg=$2 test=$3 file=$4 pattern=$5
		shift 5
		echo "### $title"
		echo '```'
		(cd "$root" && env "$@" go test -tags interop -count 1 -run "$test\$" -v "$pkg" 2>&1) |
			tee "$out/$file" | grep -E "$pattern|SKIP|FAIL" || true
		echo '```'
	}
	# The README's resolver and zone rows: each server in its own process,
	# pinned with taskset to the same CPUs with as many threads, dnsperf
	# on the CPUs left (or the same ones when none is), rounds alternating.
	for cpus in 1 2; do
		if [ "$cpus" -gt "$(nproc)" ]; then continue; fi
		if have dnsperf && have unbound && have nsd && have taskset && [ $root_user = 1 ]; then
			perf "resolver server vs Unbound, cached answers, $cpus CPU(s) each (dnsperf, ${dnsperf_secs} s rounds)" \
				./resolver TestInteropServerPerf "resolver-cpu$cpus.txt" 'answers/s|ratio|median' \
				RELAYKIT_DNSPERF=$dnsperf_secs RELAYKIT_DNSPERF_CPUS=$cpus
		else
			echo "- resolver vs Unbound: skipped (needs dnsperf, unbound, nsd, taskset and root)"
		fi
		if have dnsperf && have nsd && have taskset && [ $root_user = 1 ]; then
			perf "zone server vs NSD, authoritative answers, $cpus CPU(s) each (dnsperf, ${dnsperf_secs} s rounds)" \
				./zone TestInteropPerfQueries "zone-cpu$cpus.txt" 'answers/s|ratios' \
				RELAYKIT_ZONEPERF=$dnsperf_secs RELAYKIT_ZONEPERF_CPUS=$cpus
		else
			echo "- zone vs NSD: skipped (needs dnsperf, nsd, taskset and root)"
		fi
	done
	if have smtp-source && have postfix && have unshare && [ $root_user = 1 ]; then
		echo "### examples/relay vs Postfix (smtp-source, $relay_args)"
		echo '```'
		(cd "$root" && go run ./examples/relay/bench $relay_args 2>"$out/relay.err") | tee "$out/relay.txt" || echo "relay bench failed: see $out/relay.err"
		echo '```'
	else
		echo "- examples/relay vs Postfix: skipped (needs smtp-source, postfix, unshare and root)"
	fi
	echo
fi
echo "Load average at the end: $(load). This machine may be shared: compare"
echo "ratios from one run, not lone figures."
