#!/usr/bin/env bash
# DHCPv4 server benchmark: dhcpv4-proto's `dhcpv4d` example vs kea-dhcp4
# (memfile, persist on), both driven by perfdhcp at the same offered rates,
# client count and duration, each run in fresh namespaces. For each server
# it sweeps the offered rate upwards and reports the lossless rate (highest
# offered rate with < 1 % REQUEST-ACK drops), and at each offered rate the
# server's CPU per completed exchange (/proc/PID/stat) and perfdhcp's own
# CPU (flagged when perfdhcp itself is the limit). Rounds alternate which
# server goes first; prints the median and spread of both ratios and the
# load average. dhcpv4d fsyncs its lease journal before each batch of ACKs.
# Builds the release dhcpv4d it runs from this tree. Needs root and Debian
# kea-dhcp4-server + kea-admin (perfdhcp).
#   DHCPV4_BENCH_RATES (default 2000,5000,10000,15000,20000,30000)
#   DHCPV4_BENCH_CLIENTS (default 200)  DHCPV4_BENCH_SECS (per point, default 5)
#   DHCPV4_BENCH_REPEAT (rounds, default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p dhcpv4-proto --example dhcpv4d --features tokio
cargo test --release -p dhcpv4-proto --test perf_kea -- --ignored --nocapture throughput_vs_kea 2>&1 \
    | grep -E '^(DHCPv4 |SKIP|test result|thread .* panicked|perfdhcp)'
