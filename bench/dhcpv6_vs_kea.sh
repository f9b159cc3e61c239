#!/usr/bin/env bash
# Completed DHCPv6-PD exchanges (Solicit/Advertise/Request/Reply) per second
# of dhcpv6-proto's delegating server (a std-socket driver with a fsynced
# journal, group commit) vs kea-dhcp6 (memfile, persist on), both driven by
# `perfdhcp -6 -e prefix-only` at the same offered rate, client count and
# duration, one after the other in one run, each in its own namespaces;
# prints drops, request-reply delay, durable bindings and the ratio ours/Kea
# (target >= 2). Needs root and Debian kea-dhcp6-server + kea-admin.
#   DHCPV6_BENCH_RATE (default 10000)  DHCPV6_BENCH_CLIENTS (default 200)
#   DHCPV6_BENCH_SECS (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release -p dhcpv6-proto --test perf_kea -- --ignored --nocapture throughput_vs_kea 2>&1 \
    | grep -E '^(DHCPv6 |SKIP|test result)'
