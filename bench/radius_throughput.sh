#!/usr/bin/env bash
# Requests/s of radius-proto's client vs radclient (freeradius-utils) against
# one FreeRADIUS on loopback, same parallelism, same run; prints the ratio
# (target >= 1.0: our client is not the bottleneck). Needs root and Debian
# freeradius + freeradius-utils.
#   RADIUS_BENCH_REQUESTS (default 5000)  RADIUS_BENCH_PARALLEL (default 32)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release -p radius-proto --test freeradius -- --ignored --nocapture throughput_vs_radclient 2>&1 \
    | grep -E '^(RADIUS throughput|SKIP|test result)'
