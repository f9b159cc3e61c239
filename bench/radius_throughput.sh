#!/usr/bin/env bash
# Requests/s and client CPU per request of radius-proto's client vs radclient
# (freeradius-utils) against one FreeRADIUS on loopback: the same N
# Access-Requests, the same parallelism, one run. radclient runs as an
# operator would: a file of RADIUS_BENCH_DISTINCT distinct requests, `-c` so
# the total is N, `-p` equal to our parallelism. Also prints, once, the old
# way (one file of N requests, at N/4 and N), whose cost per request grows
# with N. Needs root and Debian freeradius + freeradius-utils.
#   RADIUS_BENCH_REQUESTS (default 5000)  RADIUS_BENCH_PARALLEL (default 32)
#   RADIUS_BENCH_DISTINCT (default 100)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release -p radius-proto --test freeradius -- --ignored --nocapture throughput_vs_radclient 2>&1 \
    | grep -E '^(RADIUS |SKIP|test result|thread .* panicked)'
