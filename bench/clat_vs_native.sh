#!/usr/bin/env bash
# iperf3 (one TCP stream each way) from a LAN host to the lab's IPv4 server
# (198.51.100.2) through the router's CLAT + PPPoE (IPv6 only) + the ISP's
# NAT64 (xlatd), vs the same server over native IPv4 (PPPoE with IPCP), in
# one run: the IPv6-only netlab (`netlab up --ipv6-only`, client
# netlab-lan4, IPv4 only) against the dual-stack one (`netlab up`, client
# netlab-lan, its IPv4). Both clients sit on the router's LAN bridge, the
# server is the same iperf3, the lab user's speed limit is lifted by a
# CoA-Request in both. Every round brings each lab up in turn (alternating
# which goes first), measures, and takes it down; prints every round, the
# median, min and max of CLAT/native per direction, and the load average.
#
#   SECONDS_EACH  seconds per iperf3 direction (default 5, plus 1 s omitted)
#   BENCH_ROUNDS  rounds (default 3)
#   BENCH_WAIT    seconds to wait for someone else's lab to go down (default 300)
#
# Needs root. The namespaces are netlab's own (one lab at a time on a
# machine): it refuses to start while any netlab lab is up, and removes only
# the labs it started.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${SECONDS_EACH:-5}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_WAIT=${BENCH_WAIT:-300}
SERVER=198.51.100.2

[ "$(id -u)" = 0 ] || { echo "clat_vs_native: must run as root (netlab makes namespaces)"; exit 2; }
for tool in iperf3 radclient python3; do
    command -v "$tool" >/dev/null || { echo "clat_vs_native: needs $tool (./netlab up installs it)"; exit 2; }
done

echo "clat_vs_native: building router, bng, xlatd, dns64d and netlab (release)" >&2
cargo build --release -p router-bin -p netlab-bin --bins
netlab="${CARGO_TARGET_DIR:-target}/release/netlab"

# Whether any netlab lab is up (ours or anyone's): its namespaces, or the
# pid files `netlab up` leaves under /run/netlab until `netlab down`.
lab_up() {
    ip netns list | grep -q '^netlab-' && return 0
    [ -n "$(ls -A /run/netlab/pids 2>/dev/null)" ]
}
owned=
cleanup() {
    # Only a lab this script started.
    [ -n "$owned" ] && "$netlab" down >/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

waited=0
while lab_up; do
    if [ "$waited" -ge "$BENCH_WAIT" ]; then
        echo "clat_vs_native: a netlab lab is up (someone else's: namespaces netlab-*, or pid files in" \
            "/run/netlab/pids) and stayed up for ${BENCH_WAIT} s; not touching it. Try again later" \
            "(or, if it is a leftover nobody uses, \`./netlab down\`)." >&2
        exit 3
    fi
    [ "$waited" = 0 ] && echo "clat_vs_native: a netlab lab is up; waiting up to ${BENCH_WAIT} s for it to go down" >&2
    sleep 10
    waited=$((waited + 10))
done

# Brings up the lab (`--ipv6-only` or not) and waits until the client
# reaches the server with the speed limit lifted.
up() {
    local out
    if ! out=$("$netlab" up "$@" 2>&1); then
        if grep -q 'already up' <<<"$out"; then
            echo "clat_vs_native: someone else brought a lab up meanwhile; giving up: $out" >&2
            exit 3
        fi
        owned=1
        echo "clat_vs_native: netlab up $*: $out" >&2
        exit 1
    fi
    owned=1
}
down() {
    "$netlab" down >/dev/null
    owned=
}
# The client reaches the server (a lease, the session, in the IPv6-only
# lab the CLAT's learned NAT64 prefix), then the CoA lifts the 20 Mbit/s
# limit (it needs the session).
ready() {
    local ns=$1 ok=
    for _ in $(seq 90); do
        ip netns exec "$ns" ping -c 1 -W 1 "$SERVER" >/dev/null 2>&1 && { ok=1; break; }
        sleep 1
    done
    [ -n "$ok" ] || { echo "clat_vs_native: $ns cannot reach $SERVER after 90 s (see /run/netlab/logs)" >&2; exit 1; }
    for _ in $(seq 10); do
        echo 'User-Name = "alice", RP-Upstream-Speed-Limit = 4000000000, RP-Downstream-Speed-Limit = 4000000000' \
            | ip netns exec netlab-isp radclient -r 1 -t 3 127.0.0.1:3799 coa netlab-coa 2>&1 \
            | grep -q CoA-ACK && return 0
        sleep 1
    done
    echo "clat_vs_native: the bng did not ACK the CoA-Request lifting the speed limit" >&2
    exit 1
}
# One direction: the receiver's rate, Mbit/s.
iperf() {
    local ns=$1 json
    shift
    json=$(timeout $((SECONDS_EACH + 30)) ip netns exec "$ns" \
        iperf3 -J -c "$SERVER" -t "$SECONDS_EACH" -O 1 "$@") \
        || { echo "clat_vs_native: iperf3 $* from $ns failed: $json" >&2; exit 1; }
    python3 -c '
import json, sys
j = json.load(sys.stdin)
bps = j["end"]["sum_received"]["bits_per_second"]
print(f"{bps / 1e6:.1f}")
' <<<"$json"
}
# A fresh lab, both directions, the lab removed: "DOWN UP" in
# $result (not printed: in a $(...) subshell `owned` would not reach the
# EXIT trap, which would then leave a failed run's lab up).
measure() {
    local kind=$1 ns d u
    if [ "$kind" = clat ]; then
        up --ipv6-only
        ns=netlab-lan4
    else
        up
        ns=netlab-lan
    fi
    ready "$ns"
    d=$(iperf "$ns" -R)
    u=$(iperf "$ns")
    down
    result="$d $u"
}

echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "iperf3, one TCP stream, ${SECONDS_EACH} s each way (+1 s omitted), LAN host -> $SERVER (IPv4 only)"
echo "  native: netlab-lan, IPv4 over PPPoE (IPCP) -> bng -> server"
echo "  clat:   netlab-lan4 (no IPv6) -> router CLAT -> IPv6 over PPPoE -> bng -> xlatd NAT64 -> server"
printf '%5s  %-6s  %10s  %10s  %s\n' round path "down Mb/s" "up Mb/s" "load avg"
rows=()
for r in $(seq "$BENCH_ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then order="native clat"; else order="clat native"; fi
    for kind in $order; do
        measure "$kind"
        if [ "$kind" = clat ]; then clat=$result; else native=$result; fi
        read -r d u <<<"$result"
        printf '%5s  %-6s  %10s  %10s  %s\n' "$r" "$kind" "$d" "$u" "$(cut -d' ' -f1-3 /proc/loadavg)"
    done
    rows+=("$clat $native")
done
printf '%s\n' "${rows[@]}" | python3 -c '
import statistics, sys
rows = [l.split() for l in sys.stdin if l.strip()]
# clat: down up, native: down up
for name, i in (("downstream", 0), ("upstream", 1)):
    ratios = [float(r[i]) / float(r[2 + i]) for r in rows if float(r[2 + i]) > 0]
    print(f"{name}: CLAT/native median {statistics.median(ratios):.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f}, {len(ratios)} rounds)")
    for path, j in (("CLAT", i), ("native", 2 + i)):
        if any(float(r[j]) == 0 for r in rows):
            print(f"  {path} {name} moved nothing in some round: a black hole (e.g. an MTU the"
                  " lab drops the ICMP for), not a slow path")
'
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores shared with other builds: indicative only)"
