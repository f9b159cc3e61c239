#!/usr/bin/env bash
# iperf3 through our userspace PPPoE data path (LAN host -> router -> PPPoE
# -> bng -> internet host, in the netlab namespaces) vs the kernel moving the
# same traffic between the same two namespaces over a plain veth, in one run.
# There is no real PPPoE peer to compare on this machine (no kernel PPP: pppd
# cannot run here), so the reference is the kernel's own forwarding: the
# ratio says what the two userspace hops cost.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${SECONDS_EACH:-5}
./netlab down >/dev/null
./netlab up
cleanup() { ./netlab down >/dev/null; }
trap cleanup EXIT

lan() { ip netns exec netlab-lan "$@"; }
rate() { python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]))'; }

for _ in $(seq 1 200); do
    lan ip -4 addr show dev eth0 | grep -q 'inet 203.0.113.' && break
    sleep 0.3
done
# The lab's user is limited to 20 Mbit/s; a CoA-Request lifts the limit.
echo 'User-Name = "alice", RP-Upstream-Speed-Limit = 4000000000, RP-Downstream-Speed-Limit = 4000000000' \
    | ip netns exec netlab-isp radclient -x -r 1 -t 3 127.0.0.1:3799 coa netlab-coa | grep -q CoA-ACK \
    || { echo "the bng did not ACK the CoA-Request"; exit 1; }

# The kernel's path: a second veth straight between the same namespaces.
ip link add kb0 netns netlab-lan type veth peer name kb1 netns netlab-internet
lan ip addr add fd00:b::1/64 dev kb0 nodad
ip -n netlab-internet addr add fd00:b::2/64 dev kb1 nodad
lan ip link set kb0 up
ip -n netlab-internet link set kb1 up
ip netns exec netlab-internet iperf3 -s -B fd00:b::2 -D -1 >/dev/null
sleep 0.5

measure() { lan iperf3 -J -t "$SECONDS_EACH" -O 1 "$@" | rate; }
ours_down=$(measure -c 198.51.100.2 -R)
ours_up=$(measure -c 198.51.100.2)
kern_down=$(measure -c fd00:b::2 -R)
ip netns exec netlab-internet iperf3 -s -B fd00:b::2 -D -1 >/dev/null; sleep 0.5
kern_up=$(measure -c fd00:b::2)

python3 - "$ours_down" "$ours_up" "$kern_down" "$kern_up" <<'PY'
import sys
od, ou, kd, ku = (int(x) for x in sys.argv[1:])
m = lambda b: f"{b/1e6:8.1f} Mbit/s"
print(f"TCP, one iperf3 stream, {'%s' % 'same namespaces, same run'}")
print(f"downstream: ours (router+bng, PPPoE, MSS 1452) {m(od)}   kernel veth {m(kd)}   ours/kernel {od/kd:.3f}")
print(f"upstream:   ours (router+bng, PPPoE, MSS 1452) {m(ou)}   kernel veth {m(ku)}   ours/kernel {ou/ku:.3f}")
PY
