#!/usr/bin/env bash
# Our userspace PPPoE data path against the kernel forwarding the same
# traffic over the same namespaces and hops, in one run, several times.
#
#   ours:    LAN host -> router (ppp0 TUN, PPPoE) -> bng (TUN) -> internet host
#            (the netlab namespaces; IPv4, MSS 1452)
#   kernel:  LAN host -> cpe -> isp -> internet host over a second chain of
#            veth pairs in the same namespaces, routed by the kernel (IPv6 ULA,
#            MTU 1492 on every link, MSS 1432), once with the veths' offloads
#            on (TSO/GSO/GRO) and once with them off (one packet per MTU, as
#            on a PPPoE wire)
#
# For ours it also reports the CPU seconds per GB moved of each process
# (router, bng: utime + stime from /proc, over the bytes iperf3 received).
# Each run measures all three paths (in a rotating order) in both
# directions; the summary gives min / median / max over the runs and the
# ratios within each run. The machine's load average is printed: on a
# shared machine the figures are indicative only.
#
# FLOWS lists the parallel TCP streams of each measurement (iperf3 -P N;
# default "1 8"); ROUTER_WORKERS sets the router's data path threads
# (wan.workers through netlab's NETLAB_ROUTER_WORKERS; default: the
# router's own, one per CPU). BNG_WORKERS sets bng's data path
# threads, both ways ([datapath] workers through NETLAB_BNG_WORKERS;
# default: bng's own, 1).
#
# It never tears down a lab it did not start: when a netlab lab is up
# already (someone else's), it stops without touching it.
#
#   RUNS=3 SECONDS_EACH=5 bench/pppoe_datapath.sh
#   ROUTER_WORKERS=1 FLOWS="1 8" bench/pppoe_datapath.sh
#   BNG_WORKERS=2 FLOWS="1 8" bench/pppoe_datapath.sh
#   NETLAB=/path/to/netlab bench/pppoe_datapath.sh   # prebuilt binaries
#                                                    # (router, bng beside it)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${SECONDS_EACH:-5}
RUNS=${RUNS:-3}
FLOWS=${FLOWS:-1 8}
if [ -n "${ROUTER_WORKERS:-}" ]; then export NETLAB_ROUTER_WORKERS=$ROUTER_WORKERS; fi
if [ -n "${BNG_WORKERS:-}" ]; then export NETLAB_BNG_WORKERS=$BNG_WORKERS; fi
LAB=/run/netlab
NS_LAN=netlab-lan NS_CPE=netlab-cpe NS_ISP=netlab-isp NS_NET=netlab-internet

netlab() {
    if [ -n "${NETLAB:-}" ]; then "$NETLAB" "$@"; else ./netlab "$@"; fi
}
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

for ns in $NS_LAN $NS_CPE $NS_ISP $NS_NET; do
    if [ -e "/run/netns/$ns" ]; then
        echo "pppoe_datapath: namespace $ns exists: a netlab lab is up that this script did not start; leaving it alone" >&2
        exit 2
    fi
done
for tool in iperf3 ethtool python3 radclient; do
    command -v "$tool" >/dev/null || { echo "pppoe_datapath: needs $tool (.ci/install-packages)" >&2; exit 2; }
done

started=0
iperf_pid=""
work=$(mktemp -d)
cleanup() {
    if [ -n "$iperf_pid" ]; then kill "$iperf_pid" 2>/dev/null || true; fi
    if [ "$started" = 1 ]; then netlab down >/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
# `netlab up` refuses when a lab is up: only then is it ours to take down.
netlab up
started=1

for _ in $(seq 1 200); do
    in_ns $NS_LAN ip -4 addr show dev eth0 | grep -q 'inet 203.0.113.' && break
    sleep 0.3
done
# The lab's user is limited to 20 Mbit/s; a CoA-Request lifts the limit.
echo 'User-Name = "alice", RP-Upstream-Speed-Limit = 4000000000, RP-Downstream-Speed-Limit = 4000000000' \
    | in_ns $NS_ISP radclient -x -r 1 -t 3 127.0.0.1:3799 coa netlab-coa | grep -q CoA-ACK \
    || { echo "the bng did not ACK the CoA-Request"; exit 1; }

# The kernel's path: lan -kl0/kc0- cpe -kc1/ki0- isp -ki1/kn0- internet.
link() { # ns_a if_a addr_a ns_b if_b addr_b
    ip link add "$2" netns "$1" mtu 1492 type veth peer name "$5" netns "$4" mtu 1492
    in_ns "$1" ip addr add "$3/64" dev "$2" nodad
    in_ns "$4" ip addr add "$6/64" dev "$5" nodad
    in_ns "$1" ip link set "$2" up
    in_ns "$4" ip link set "$5" up
}
link $NS_LAN kl0 fd00:d1::1 $NS_CPE kc0 fd00:d1::2
link $NS_CPE kc1 fd00:d2::1 $NS_ISP ki0 fd00:d2::2
link $NS_ISP ki1 fd00:d3::1 $NS_NET kn0 fd00:d3::2
in_ns $NS_LAN ip -6 route add fd00:d3::/64 via fd00:d1::2
in_ns $NS_CPE ip -6 route add fd00:d3::/64 via fd00:d2::2
in_ns $NS_ISP ip -6 route add fd00:d1::/64 via fd00:d2::1
in_ns $NS_NET ip -6 route add fd00:d1::/64 via fd00:d3::1
for ns in $NS_CPE $NS_ISP; do
    in_ns $ns sysctl -q -w net.ipv6.conf.all.forwarding=1
done
offloads() { # on|off
    local ns dev
    for pair in "$NS_LAN kl0" "$NS_CPE kc0" "$NS_CPE kc1" "$NS_ISP ki0" "$NS_ISP ki1" "$NS_NET kn0"; do
        read -r ns dev <<<"$pair"
        in_ns "$ns" ethtool -K "$dev" tso "$1" gso "$1" gro "$1" >/dev/null 2>&1 || true
    done
}
in_ns $NS_NET iperf3 -s -B fd00:d3::2 -D -I "$work/iperf3.pid" >/dev/null
sleep 0.5
iperf_pid=$(cat "$work/iperf3.pid")

cpu_ticks() { # pid: utime + stime
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}
router_pid=$(awk '{ print $1 }' $LAB/pids/router)
bng_pid=$(awk '{ print $1 }' $LAB/pids/bng)
hz=$(getconf CLK_TCK)

# One iperf3 measurement: prints "bits_per_second bytes router_ticks bng_ticks".
measure() {
    local r0 b0 r1 b1 json
    r0=$(cpu_ticks "$router_pid"); b0=$(cpu_ticks "$bng_pid")
    json=$(in_ns $NS_LAN iperf3 -J -t "$SECONDS_EACH" -O 1 "$@")
    r1=$(cpu_ticks "$router_pid"); b1=$(cpu_ticks "$bng_pid")
    python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]["sum_received"]; print(int(e["bits_per_second"]), int(e["bytes"]), end=" ")' <<<"$json"
    echo "$((r1 - r0)) $((b1 - b0))"
}

echo "pppoe_datapath: $RUNS runs of ${SECONDS_EACH}s per path, direction and flow count ($FLOWS); router workers: ${ROUTER_WORKERS:-default}, $(nproc) CPUs; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -o '[0-9]* data path workers' $LAB/logs/router.log || echo "router: data path in its event loop (workers = 1)"
results="$work/results"
: >"$results"
paths=(ours kernel_on kernel_off)
for run in $(seq 1 "$RUNS"); do
    for k in 0 1 2; do
        path=${paths[$(( (run - 1 + k) % 3 ))]}
        case $path in
            ours) target=198.51.100.2 ;;
            kernel_on) offloads on; target=fd00:d3::2 ;;
            kernel_off) offloads off; target=fd00:d3::2 ;;
        esac
        for flows in $FLOWS; do
            for dir in down up; do
                flag=""; [ "$dir" = down ] && flag="-R"
                # shellcheck disable=SC2086
                m=$(measure -c "$target" -P "$flows" $flag)
                echo "$run $path $dir $flows $m" >>"$results"
                echo "  run $run $path $dir x$flows: $m (bit/s bytes router-ticks bng-ticks)"
            done
        done
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$results" "$hz" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
hz = int(sys.argv[2])
d = {}
for run, path, dr, fl, bps, nbytes, rt, bt in rows:
    d[(int(run), path, dr, int(fl))] = (int(bps), int(nbytes), int(rt) / hz, int(bt) / hz)
runs = sorted({k[0] for k in d})
flows = sorted({k[3] for k in d})
def spread(xs):
    xs = sorted(xs)
    return f"{xs[0]:.3g} / {statistics.median(xs):.3g} / {xs[-1]:.3g}"
print("min / median / max over", len(runs), "runs")
for fl in flows:
  for dr in ("down", "up"):
    print(f"{dr}stream, {fl} flow(s):")
    for path in ("ours", "kernel_on", "kernel_off"):
        print(f"  {path:10} Mbit/s {spread([d[(r, path, dr, fl)][0] / 1e6 for r in runs])}")
    for ref in ("kernel_off", "kernel_on"):
        print(f"  ours/{ref:10} {spread([d[(r, 'ours', dr, fl)][0] / d[(r, ref, dr, fl)][0] for r in runs])}")
    gb = lambda r: d[(r, "ours", dr, fl)][1] / 1e9
    print(f"  router CPU-s/GB {spread([d[(r, 'ours', dr, fl)][2] / gb(r) for r in runs])}")
    print(f"  bng    CPU-s/GB {spread([d[(r, 'ours', dr, fl)][3] / gb(r) for r in runs])}")
PY
