#!/usr/bin/env bash
# Completed DHCPv4 4-way exchanges per second of dhcpv4-proto's `dhcpv4d`
# example vs kea-dhcp4 (memfile, persist on), both driven by perfdhcp with
# the same offered rate, client count and duration, one after the other in
# one run, each in its own namespaces; prints drops, request-ack delay and
# the ratio ours/Kea (target >= 2). dhcpv4d fsyncs its lease journal before
# each batch of ACKs. Needs root and Debian kea-dhcp4-server + kea-admin.
#   DHCPV4_BENCH_RATE (default 10000)  DHCPV4_BENCH_CLIENTS (default 200)
#   DHCPV4_BENCH_SECS (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release -p dhcpv4-proto --test perf_kea -- --ignored --nocapture throughput_vs_kea 2>&1 \
    | grep -E '^(DHCPv4 |SKIP|test result)'
