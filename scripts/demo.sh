#!/usr/bin/env bash
# README command (1): install the dependencies, build, and run the main job on the embedded
# default device. With no ConnectX-6 Dx in the machine and no MLX5TLS_DEVICE/-d, the tools use the
# built-in device model ("sim") and say so.
#
# Knobs (environment): BUILD_DIR (default build), JOBS (default nproc),
# BENCH_CONTEXTS / BENCH_LIVE (mlx5tls-bench setup -n / -l; modest defaults).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
BENCH_CONTEXTS=${BENCH_CONTEXTS:-20000}
BENCH_LIVE=${BENCH_LIVE:-1000}

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

# ---- TLS TX demo: goes here, after the capabilities (a later issue adds it) ----

step "Self-test: PD, TD, DEK, pooled DEK, TLS TIS"
run "$QUERY" selftest

step "Connection setup under churn: pools on and off"
run "$BENCH" setup -n "$BENCH_CONTEXTS" -l "$BENCH_LIVE"

step "Demo finished"
