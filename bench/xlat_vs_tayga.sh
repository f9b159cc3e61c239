#!/usr/bin/env bash
# Stateful NAT64 throughput: router-bin's `xlatd` (mode "nat64") vs tayga
# (NAT64 with a dynamic pool), on the same three namespaces, one after the
# other, alternating, several rounds in one run:
#
#   client (IPv6 only) ── [xl-bxl: the translator on a TUN] ── server (IPv4)
#   2001:db8:1::1       2001:db8:1::2 | 198.51.100.1         198.51.100.2
#
# Each round measures, for each translator: iperf3 TCP client → server
# (one stream, 1500-byte MTU both sides) and UDP 64-byte datagrams
# (iperf3 -u -l 64 -b 0: what arrives per second, and the loss). Prints
# every round, then per measure the median of ours/tayga with min and max.
# Both translators run one thread. tayga reads one packet per syscall from
# a plain TUN; ours reads up to 64 per wake-up with the TUN's offloads on
# (IFF_VNET_HDR: TCP segments of up to 64 KiB, partial checksums), its
# default; XLAT_BENCH_OFFLOAD=false measures it without them.
# Needs root, tayga and iperf3 (Debian). Namespaces are named xl-b*.
#   XLAT_BENCH_ROUNDS (default 3)  XLAT_BENCH_SECS (default 5)
#   XLAT_BENCH_OFFLOAD (default true)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${XLAT_BENCH_ROUNDS:-3}
secs=${XLAT_BENCH_SECS:-5}
offload=${XLAT_BENCH_OFFLOAD:-true}
for tool in tayga iperf3 python3; do
    command -v "$tool" >/dev/null || { echo "needs $tool (Debian: apt-get install tayga iperf3)"; exit 1; }
done
cargo build --release -q -p router-bin --bin xlatd
bin=${CARGO_TARGET_DIR:-target}/release/xlatd

cli=xl-bcli$$ xl=xl-bxl$$ srv=xl-bsrv$$
dir=$(mktemp -d)
pids=()
running=
cleanup() {
    [ -n "$running" ] && kill "$running" 2>/dev/null || true
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    for n in "$cli" "$xl" "$srv"; do ip netns del "$n" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT

for n in "$cli" "$xl" "$srv"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip link add eth0 netns "$cli" type veth peer name wan netns "$xl"
ip link add srv netns "$xl" type veth peer name eth0 netns "$srv"
for pair in "$cli eth0" "$xl wan" "$xl srv" "$srv eth0"; do
    set -- $pair; ip -n "$1" link set "$2" up
done
ip -n "$cli" addr add 2001:db8:1::1/64 dev eth0 nodad
ip -n "$cli" route add 2001:db8:64::/96 via 2001:db8:1::2
ip -n "$xl" addr add 2001:db8:1::2/64 dev wan nodad
ip -n "$xl" addr add 198.51.100.1/24 dev srv
ip -n "$srv" addr add 198.51.100.2/24 dev eth0
ip -n "$srv" route add default via 198.51.100.1
ip netns exec "$xl" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip netns exec "$srv" iperf3 -s -D -B 198.51.100.2 --pidfile "$dir/iperf3.pid"
sleep 0.5
pids+=("$(cat "$dir/iperf3.pid")")

mkdir -p "$dir/tayga"
cat > "$dir/tayga.conf" <<CONF
tun-device tayga0
ipv4-addr 203.0.113.254
prefix 2001:db8:64::/96
dynamic-pool 203.0.113.0/24
data-dir $dir/tayga
CONF
cat > "$dir/xlatd.toml" <<CONF
mode = "nat64"
tun = "xlat0"
offload = $offload
state_dir = "$dir/xlatd"
pool6 = "2001:db8:64::/96"
[nat64]
pool4 = [{ address = "203.0.113.1", ports = [1024, 65535] }]
CONF

start_tayga() {
    ip netns exec "$xl" tayga --mktun -c "$dir/tayga.conf" >/dev/null
    ip -n "$xl" link set tayga0 up
    ip -n "$xl" route add 2001:db8:64::/96 dev tayga0
    ip -n "$xl" route add 203.0.113.0/24 dev tayga0
    ip netns exec "$xl" tayga --nodetach -c "$dir/tayga.conf" >"$dir/tayga.log" 2>&1 &
    running=$!
}
stop_tayga() {
    kill "$running"; wait "$running" 2>/dev/null || true; running=
    ip netns exec "$xl" tayga --rmtun -c "$dir/tayga.conf" >/dev/null
    rm -f "$dir/tayga/dynamic.map"
}
start_xlatd() {
    ip netns exec "$xl" "$bin" --config "$dir/xlatd.toml" >"$dir/xlatd.log" 2>&1 &
    running=$!
    for _ in $(seq 100); do
        ip netns exec "$xl" "$bin" status --config "$dir/xlatd.toml" >/dev/null 2>&1 && return
        sleep 0.1
    done
    echo "xlatd did not start:"; cat "$dir/xlatd.log"; exit 1
}
stop_xlatd() {
    kill "$running"; wait "$running" 2>/dev/null || true; running=
}

# One measure: prints "TCP_MBITS UDP_PPS UDP_LOSS%".
measure() {
    # The translator may still be starting: a few tries.
    local ok=
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        ip netns exec "$cli" ping -6 -c 1 -W 1 2001:db8:64::198.51.100.2 >/dev/null 2>&1 && { ok=1; break; }
        sleep 0.3
    done
    [ -n "$ok" ] || { echo "no path through the translator" >&2; exit 1; }
    local tcp udp
    tcp=$(ip netns exec "$cli" iperf3 -J -c 2001:db8:64::198.51.100.2 -t "$secs")
    udp=$(ip netns exec "$cli" iperf3 -J -u -l 64 -b 0 -c 2001:db8:64::198.51.100.2 -t "$secs")
    python3 - "$tcp" "$udp" <<'PY'
import json, sys
tcp = json.loads(sys.argv[1])["end"]["sum_received"]
udp = json.loads(sys.argv[2])["end"]["sum"]
received = udp["packets"] - udp["lost_packets"]
print(f'{tcp["bits_per_second"] / 1e6:.0f} {received / udp["seconds"]:.0f} {udp["lost_percent"]:.1f}')
PY
}

echo "round  translator  TCP Mbit/s  UDP-64B pkts/s received  UDP loss %"
results=()
for r in $(seq "$rounds"); do
    start_tayga; t=$(measure); stop_tayga
    start_xlatd; o=$(measure); stop_xlatd
    printf '%5s  %-10s  %10s  %23s  %10s\n' "$r" tayga $t
    printf '%5s  %-10s  %10s  %23s  %10s\n' "$r" xlatd $o
    results+=("$t $o")
done
printf '%s\n' "${results[@]}" | python3 -c '
import statistics, sys
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
for name, i in (("TCP throughput", 0), ("UDP 64-byte packets/s", 1)):
    ratios = [r[3 + i] / r[i] for r in rows if r[i] > 0]
    print(f"{name}: xlatd/tayga median {statistics.median(ratios):.2f}x "
          f"(min {min(ratios):.2f}x, max {max(ratios):.2f}x, {len(ratios)} rounds)")
'
load=$(cut -d" " -f1-3 /proc/loadavg)
echo "load average during the run: $load (2 cores shared: indicative only)"
