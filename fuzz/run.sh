#!/usr/bin/env bash
# Build the libFuzzer targets (build-fuzz/, clang, ASan+UBSan) and run each for a while.
#   fuzz/run.sh [-t SECONDS] [-j JOBS] [--seeds] [TARGET...]
# -t: seconds per target (default 60; CI uses less); -j: parallel fuzzing jobs per target
# (libFuzzer -jobs/-workers, default 1); --seeds: remake fuzz/corpus from the library first.
# Each target starts from its seed corpus (fuzz/corpus/TARGET, never modified here) in a scratch
# copy; new inputs stay in build-fuzz/corpus/TARGET for the next run. A crash, leak, sanitizer
# report or broken oracle fails the run, and the input is left as build-fuzz/crash-*.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
SECS=60
JOBS=1
SEEDS=0
TARGETS=()
while (($#)); do
	case "$1" in
	-t) SECS=$2; shift 2 ;;
	-j) JOBS=$2; shift 2 ;;
	--seeds) SEEDS=1; shift ;;
	-h | --help) sed -n '2,9p' "$0"; exit 0 ;;
	*) TARGETS+=("$1"); shift ;;
	esac
done
ALL=(fuzz_sim_cmd fuzz_sim_wqe fuzz_sim_rx fuzz_trace fuzz_publish_req fuzz_tx_send fuzz_rx_api)
((${#TARGETS[@]})) || TARGETS=("${ALL[@]}")

CC=clang cmake -S . -B build-fuzz -DMLX5TLS_FUZZ=ON -DMLX5TLS_WERROR=ON >/dev/null
cmake --build build-fuzz --target fuzz_all --parallel "$(nproc)" >/dev/null

if ((SEEDS)); then
	cmake -S . -B build >/dev/null && cmake --build build --target mlx5tls-query >/dev/null
	rm -f build-fuzz/seed-trace.jsonl
	MLX5TLS_TRACE=build-fuzz/seed-trace.jsonl MLX5TLS_DEVICE= build/tools/mlx5tls-query -d sim selftest >/dev/null
	python3 fuzz/make_seeds.py build-fuzz/seed-trace.jsonl fuzz/corpus
	mkdir -p fuzz/corpus/fuzz_sim_wqe
	FUZZ_SEED_DIR=fuzz/corpus/fuzz_sim_wqe build-fuzz/fuzz/fuzz_sim_wqe -runs=1 >/dev/null 2>&1
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export MLX5TLS_DEVICE= MLX5TLS_TRACE= MLX5TLS_PUBLISH=
failed=0
total=0
for t in "${TARGETS[@]}"; do
	work="build-fuzz/corpus/$t"
	mkdir -p "$work"
	log="build-fuzz/$t.log"
	if (cd build-fuzz && "./fuzz/$t" -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=20 \
		-print_final_stats=1 -jobs="$JOBS" -workers="$JOBS" -artifact_prefix="$ROOT/build-fuzz/" \
		"$ROOT/$work" "$ROOT/fuzz/corpus/$t" >"$ROOT/$log" 2>&1); then
		status=ok
	else
		status=FAILED
		failed=1
	fi
	execs=$(grep -h 'stat::number_of_executed_units' "$log" build-fuzz/fuzz-*.log 2>/dev/null |
		awk '{s += $2} END {print s + 0}')
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
	total=$((total + execs))
	printf '%-18s %-6s %10s execs in %ss, coverage %s edges, corpus %s\n' "$t" "$status" \
		"$execs" "$SECS" "${cov:-?}" "$(ls "$work" | wc -l)"
	if [[ $status != ok ]]; then
		grep -E 'ERROR|SUMMARY|runtime error|LLVMFuzzerTestOneInput' "$log" | head -20 >&2
	fi
	rm -f build-fuzz/fuzz-*.log
done
echo "fuzz: $total executions in all"
exit $failed
