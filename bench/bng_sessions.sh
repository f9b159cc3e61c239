#!/usr/bin/env bash
# Session setup of `bng`: bng-loadgen (router-bin) dials N PPPoE sessions from
# N MACs over one AF_PACKET socket (PADI..PADS, LCP, PAP/CHAP, IPCP and/or
# IPv6CP; at most 64 dials in flight) against a release bng in a namespace,
# with local users and again with FreeRADIUS (Debian's, a users file). Prints
# per run the sessions/s, the bng's VmRSS/VmHWM at 1,000 and 10,000 sessions,
# failures by stage, the bng's CPU time, the load average, and per case the
# spread (min/median/max) over the runs. 1,000 and 10,000 run IPv6-only
# (ipv4 = false: the documentation ranges hold ~760 IPv4 addresses); one
# dual-stack size fits the IPv4 pool (250 of 198.51.100.2-254). Needs root
# (namespaces) and Debian freeradius. Indicative only on a shared machine.
#   BNG_BENCH_SESSIONS (default 1000,10000)  BNG_BENCH_RUNS (default 3)
#   BNG_BENCH_MODES (default local,radius)   BNG_BENCH_DUAL (default 250; 0 skips)
#   BNG_BENCH_IN_FLIGHT (default 64)         BNG_BENCH_PD (1: DHCPv6-PD too)
#   BNG_BENCH_PADI_RATE (default 100000: the bng's [discovery] padi_rate/burst,
#   raised; its default 200/s would bound the setup rate)
#   BNG_BENCH_MAC_SLOTS (default 65536: [discovery] mac_rate_slots; its default
#   1024 makes the per-host PADI limit ~1024/s over all hosts)
#   BNG_BENCH_PERF (1: perf record of the bng during each run, top symbols)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo test --release -p router-bin --test bng_sessions_bench -- --ignored --nocapture 2>&1 \
    | grep --line-buffered -E '^(BENCH|SUMMARY|    |SKIP|test result|thread .* panicked)'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
