#!/usr/bin/env bash
# README command (2): install the dependencies, build with warnings as errors, run every test suite
# (CUnit programs registered with ctest). Exits non-zero on any failure.
#
# Knobs (environment): BUILD_DIR (default build), JOBS (default nproc).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}

step() { printf '\n==== %s ====\n' "$*"; }

step "Installing dependencies"
bash scripts/install-deps.sh

step "Configuring and building ($BUILD_DIR, -Werror)"
cmake -S . -B "$BUILD_DIR" -DMLX5TLS_WERROR=ON -DMLX5TLS_BUILD_TESTS=ON -DMLX5TLS_SANITIZE=OFF
cmake --build "$BUILD_DIR" --parallel "$JOBS"

step "Running the tests"
ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error --parallel "$JOBS"
