#!/usr/bin/env bash
# README command (1): install the dependencies, build, and run the main job on the embedded
# default device. With no ConnectX-6 Dx in the machine and no MLX5TLS_DEVICE/-d, the tools use the
# built-in device model ("sim") and say so.
#
# Knobs (environment): BUILD_DIR (default build), JOBS (default nproc),
# BENCH_CONTEXTS / BENCH_LIVE (mlx5tls-bench setup -n / -l; modest defaults),
# OUT (default $BUILD_DIR/demo: the TLS TX demo's capture and key log).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
BENCH_CONTEXTS=${BENCH_CONTEXTS:-20000}
BENCH_LIVE=${BENCH_LIVE:-1000}
OUT=${OUT:-$BUILD_DIR/demo}

step() { printf '\n==== %s ====\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "Installing dependencies"
bash scripts/install-deps.sh

step "Configuring and building ($BUILD_DIR)"
# Warnings do not stop the demo (scripts/test.sh builds with -Werror).
run cmake -S . -B "$BUILD_DIR" -DMLX5TLS_BUILD_TESTS=OFF -DMLX5TLS_SANITIZE=OFF -DMLX5TLS_WERROR=OFF
run cmake --build "$BUILD_DIR" --parallel "$JOBS"

QUERY="$BUILD_DIR/tools/mlx5tls-query"
BENCH="$BUILD_DIR/tools/mlx5tls-bench"

step "Device"
run "$QUERY" dev

step "Capabilities"
run "$QUERY" caps

TLS_TX="$BUILD_DIR/examples/tls_tx_offload"
mkdir -p "$OUT"
rm -f "$OUT/tls_tx.pcap" "$OUT/keys.log"

step "TLS TX offload: TLS 1.3 AES-GCM-256, 2% loss on the wire (capture: $OUT/tls_tx.pcap)"
# A real OpenSSL handshake in process, the server's keys to the device, records encrypted by the
# device, lost frames retransmitted (device resync), every record read back by the client.
run env SSLKEYLOGFILE="$OUT/keys.log" "$TLS_TX" --tls 1.3 --bits 256 --loss 0.02 \
	--pcap "$OUT/tls_tx.pcap"

step "TLS TX offload: TLS 1.2 AES-GCM-128, no loss"
run "$TLS_TX" --tls 1.2 --bits 128

if command -v tshark >/dev/null 2>&1; then
	step "Decrypting the capture with tshark and the key log"
	lines=$(tshark -r "$OUT/tls_tx.pcap" -o "tls.keylog_file:$OUT/keys.log" \
		-d tcp.port==443,tls -q -z follow,tls,ascii,0 2>/dev/null |
		grep -c "TLS record plaintext" || true)
	echo "tshark decrypted $lines lines of 64 bytes of application data"
else
	echo "(tshark -r $OUT/tls_tx.pcap -o tls.keylog_file:$OUT/keys.log -q -z follow,tls,ascii,0"
	echo " shows the decrypted records; tshark is not installed here)"
fi

step "Self-test: PD, TD, DEK, pooled DEK, TLS TIS, one record through a queue pair"
run "$QUERY" selftest

step "Connection setup under churn: pools on and off"
run "$BENCH" setup -n "$BENCH_CONTEXTS" -l "$BENCH_LIVE"

step "TX datapath: throughput vs raw EVP AES-GCM, cost per WQE vs a plain send (same run)"
run "$BENCH" tx -t 0.3

step "Demo finished"
