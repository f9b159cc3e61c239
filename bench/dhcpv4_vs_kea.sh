#!/usr/bin/env bash
# DHCPv4 server benchmark: dhcpv4-proto's `dhcpv4d` example vs kea-dhcp4
# (memfile, persist on), both driven by perfdhcp at the same offered rates,
# client count and duration, each run in fresh namespaces (the server on a
# bridge, each perfdhcp in a namespace of its own with its own client MAC
# range, the rate and the clients split between them). For each server it
# finds the lossless rate (highest offered rate with < 1 % REQUEST-ACK
# drops): rates doubling until the first lossy one, then a bisection down
# to 1/10 of the rate. At every point it prints the server's CPU per
# completed exchange and share of a core (/proc/PID/stat), each perfdhcp's
# share of a core, and which was the limit (a process at >= 90 % of a
# core, or neither). CPU per exchange is compared at the doubling rates
# where both were lossless. Rounds alternate which server goes first;
# prints the median and spread of both ratios and the load average.
# Durability differs: dhcpv4d fdatasyncs its lease journal before each
# batch of ACKs, a small batch waiting up to its group-commit window
# (commit_window_us, default 1 ms) for more (survives a power loss); Kea's memfile write(2)s each lease,
# no fsync (survives Kea's crash, not a power loss). So ours runs twice: as
# shipped (`dhcpv4d`) and with `fsync_leases = false` (`dhcpv4d-nofsync`,
# Kea's durability), both compared with Kea and both printed. Server CPU is
# the process's own: ext4's journal thread (jbd2, printed apart, whole
# machine) and the kernel's later write-back of unsynced pages are not in
# it. Builds the release dhcpv4d it runs from this tree. Needs root and
# Debian kea-dhcp4-server + kea-admin (perfdhcp).
#   DHCPV4_BENCH_START (first rate, default 1000)  DHCPV4_BENCH_MAX (default 64000)
#   DHCPV4_BENCH_GENERATORS (perfdhcp processes, default 2)
#   DHCPV4_BENCH_CLIENTS (all generators, default 200)  DHCPV4_BENCH_SECS (per point, default 5)
#   DHCPV4_BENCH_REPEAT (rounds, default 3)
#   DHCPV4_BENCH_NOFSYNC (0: skip dhcpv4d-nofsync, default 1)
#   DHCPV4_BENCH_LEASE_DIR (lease files there, e.g. on an ext4 with a journal,
#     to see jbd2's share; default the lab's temporary directory)
#   DHCPV4_BENCH_WINDOWS (group-commit windows in us, comma-separated, e.g.
#     0,500,1000: the fsynced dhcpv4d runs once per window as dhcpv4d-wN with
#     commit_window_us = N; default once, as shipped)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p dhcpv4-proto --example dhcpv4d --features tokio
cargo test --release -p dhcpv4-proto --test perf_kea -- --ignored --nocapture throughput_vs_kea 2>&1 \
    | grep -E '^(DHCPv4 |SKIP|test result|thread .* panicked|perfdhcp)'
