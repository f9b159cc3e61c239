#!/usr/bin/env bash
# Cached DNS64 answers per second: dns64's `dns64d` example (the crate's
# tokio driver on one thread) vs unbound's `dns64 iterator` (num-threads:
# 1), the same dnsperf query file (AAAA for A-only names, so every answer
# is synthesized; the caches are warmed first), the same local-data
# upstream, one after the other, DNS64_BENCH_RUNS times (the order
# alternating), in a namespace of their own on loopback. The load average
# is printed before and after: on a shared machine the spread between runs
# says how far to trust a ratio; each daemon's CPU time per answered query
# (user + system from /proc/PID/stat) is printed too: other processes'
# load steals wall-clock time from both, but not CPU time charged to one.
# Each run has three passes per daemon:
# 1. saturation (dnsperf -q 200 outstanding, as fast as it goes):
#    queries/s and CPU per query. At ~140k/s each daemon uses most of a
#    core and dnsperf the other: dnsperf is near its limit too, and the
#    latency here is mostly the queueing of its 200 outstanding queries;
# 2. latency at saturation, a second pass with dnsperf -v (2.10 prints no
#    percentiles; -v prints each answer's latency, which costs dnsperf
#    time, so queries/s come from pass 1);
# 3. latency at a FIXED offered rate (dnsperf -Q) both sustain: by default
#    60 % of the lower of the two saturation rates of this run
#    (DNS64_BENCH_RATE sets it), p50/p99 and loss, -v as in 2. This is the
#    fair latency comparison: neither daemon nor dnsperf is saturated.
# A lost query counts as slower than any answer. With 2 or more CPUs the
# daemons (both, and the upstream) run pinned to CPU 0 and dnsperf to CPU 1
# (taskset; DNS64_BENCH_PIN=0 to not pin), the same for both: what happens
# anyway at saturation, without the scheduler moving them around. Needs
# root and Debian unbound + dnsperf.
#   DNS64_BENCH_SECS (default 10)  DNS64_BENCH_NAMES (default 1000)
#   DNS64_BENCH_CLIENTS (default 4, dnsperf -c)  DNS64_BENCH_RUNS (default 3)
#   DNS64_BENCH_RATE (queries/s of pass 3, default 60 % as above)
#   DNS64_BENCH_PIN (default 1)  DNS64_BENCH_BIN (a dns64d binary, default
#   the example built here)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${DNS64_BENCH_SECS:-10}
names=${DNS64_BENCH_NAMES:-1000}
clients=${DNS64_BENCH_CLIENTS:-4}
runs=${DNS64_BENCH_RUNS:-3}
rate=${DNS64_BENCH_RATE:-}
srv_pin=()
perf_pin=()
if [ "${DNS64_BENCH_PIN:-1}" != 0 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    srv_pin=(taskset -c 0)
    perf_pin=(taskset -c 1)
fi
for tool in unbound dnsperf; do
    command -v "$tool" >/dev/null || { echo "needs $tool (Debian: apt-get install unbound dnsperf)"; exit 1; }
done
# DNS64_BENCH_BIN: another dns64d binary (an older build, to compare).
bin=${DNS64_BENCH_BIN:-}
if [ -z "$bin" ]; then
    cargo build --release -q -p dns64 --features tokio --example dns64d
    bin=${CARGO_TARGET_DIR:-target}/release/examples/dns64d
fi

ns=dns64bench$$
dir=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up

conf() { # listen-port module-config extra
    cat <<CONF
server:
    interface: 127.0.0.1@$1
    port: $1
    access-control: 127.0.0.0/8 allow
    username: ""
    chroot: ""
    directory: "$dir"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 0
    do-daemonize: no
    do-not-query-localhost: no
    num-threads: 1
    msg-cache-size: 64m
    rrset-cache-size: 64m
    module-config: "$2"
$3
CONF
}
{
    conf 5301 iterator '    local-zone: "example." static
    local-data: "example. 86400 IN SOA ns.example. host.example. 1 3600 600 86400 3600"'
    for i in $(seq 0 $((names - 1))); do
        echo "    local-data: \"n$i.example. 86400 IN A 20.0.$((i / 256)).$((i % 256))\""
    done
    echo "remote-control:"; echo "    control-enable: no"
} > "$dir/data.conf"
fwd='forward-zone:
    name: "example."
    forward-addr: 127.0.0.1@5301
remote-control:
    control-enable: no'
{ conf 5302 "dns64 iterator" '    dns64-prefix: 2001:db8:64::/96'; echo "$fwd"; } > "$dir/dns64.conf"
{ conf 5303 iterator ''; echo "$fwd"; } > "$dir/resolver.conf"
for i in $(seq 0 $((names - 1))); do echo "n$i.example AAAA"; done > "$dir/queries"

for c in data dns64 resolver; do
    ip netns exec "$ns" "${srv_pin[@]}" unbound -d -c "$dir/$c.conf" > "$dir/$c.log" 2>&1 &
    pids+=($!)
done
# `ip netns exec` and taskset exec the daemon: these are the daemons' own
# pids.
unbound_pid=${pids[1]}
ip netns exec "$ns" "${srv_pin[@]}" "$bin" 127.0.0.1:5304 127.0.0.1:5303 2001:db8:64::/96 > "$dir/dns64d.log" 2>&1 &
pids+=($!)
ours_pid=$!
sleep 1

run() { # port seconds [dnsperf options]
    ip netns exec "$ns" "${perf_pin[@]}" dnsperf -s 127.0.0.1 -p "$1" -d "$dir/queries" -l "$2" -c "$clients" -T 1 -q 200 "${@:3}" 2>&1
}
latency() { # label port seconds [dnsperf options]: p50/p99 of the
    # answers' latencies from dnsperf -v to stderr, the p99 in ms (inf: more
    # than 1 % lost) to stdout
    run "$2" "$3" -v "${@:4}" > "$dir/v.out"
    local lost qps
    lost=$(awk '/Queries lost/ {print $3}' "$dir/v.out")
    qps=$(awk '/Queries per second/ {printf "%.0f", $4}' "$dir/v.out")
    awk '/^> / {print $NF}' "$dir/v.out" | sort -g | awk -v lost="$lost" -v label="$1" -v qps="$qps" '
        { l[NR] = $1 }
        END {
            total = NR + lost; i = int(total * 0.99); if (i < total * 0.99) i++
            p = (i > NR) ? "lost (more than 1% lost)" : sprintf("%.3f ms", l[i] * 1000)
            printf "%s: p99 %s, p50 %.3f ms over %d answers (%s/s), %d lost (%.3f %%)\n", label, p, l[int((NR + 1) / 2)] * 1000, NR, qps, lost, 100 * lost / total > "/dev/stderr"
            print (i > NR) ? "inf" : l[i] * 1000
        }'
}
# Warm both caches (every name once, then some), check one answer each.
for port in 5302 5304; do run "$port" 2 > /dev/null; done
# Both must synthesize: AAAA n1.example = 2001:db8:64::1400:1.
check='
import socket, sys
q = bytes.fromhex("abcd01000001000000000000") + b"\x02n1\x07example\x00" + bytes.fromhex("001c0001")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
a = s.recv(4096)
want = bytes.fromhex("20010db800640000000000001400" "0001")
sys.exit(0 if a[:2] == q[:2] and want in a else "no synthesized AAAA from port " + sys.argv[1])
'
for port in 5302 5304; do ip netns exec "$ns" python3 -c "$check" "$port"; done
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
measure() { # label port pid: queries/s to stdout; the line, with the
    # daemon's CPU time per answered query (user + system, from
    # /proc/PID/stat: what the load on a shared machine distorts least),
    # to stderr and to $dir/cpu.$port
    local c0 c1 out qps lat lost done us
    c0=$(cpu_ticks "$3")
    out=$(run "$2" "$secs")
    c1=$(cpu_ticks "$3")
    qps=$(echo "$out" | awk '/Queries per second/ {print $4}')
    lat=$(echo "$out" | awk '/Average Latency/ {print $4, "s avg (min", $6, "max", $8}')
    lost=$(echo "$out" | awk '/Queries lost/ {print $3}')
    done=$(echo "$out" | awk '/Queries completed/ {print $3}')
    us=$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v n="$done" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
    echo "$1: $qps queries/s, CPU $us us/query, latency $lat, lost $lost" >&2
    echo "$us" > "$dir/cpu.$2"
    echo "$qps"
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
[ ${#srv_pin[@]} -gt 0 ] && echo "daemons pinned to CPU 0, dnsperf to CPU 1" >&2
ratios=()
cpus=()
p99sat=()
p99fixed=()
p99ratio() { awk -v a="$1" -v b="$2" 'BEGIN {
    if (a == "inf" || b == "inf") print (a == b) ? "nan" : (a == "inf" ? "inf" : 0); else printf "%.2f", a / b }'; }
for r in $(seq 1 "$runs"); do
    echo "--- run $r" >&2
    if [ $((r % 2)) -eq 1 ]; then
        theirs=$(measure "unbound dns64" 5302 "$unbound_pid")
        ours=$(measure "dns64d       " 5304 "$ours_pid")
    else
        ours=$(measure "dns64d       " 5304 "$ours_pid")
        theirs=$(measure "unbound dns64" 5302 "$unbound_pid")
    fi
    echo "latency at saturation (dnsperf -q 200):" >&2
    theirs_sat=$(latency "unbound dns64" 5302 "$secs")
    ours_sat=$(latency "dns64d       " 5304 "$secs")
    q=${rate:-$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%d", 0.6 * (a < b ? a : b) }')}
    echo "latency at a fixed $q queries/s (dnsperf -Q $q):" >&2
    if [ $((r % 2)) -eq 1 ]; then
        theirs_fixed=$(latency "unbound dns64" 5302 "$secs" -Q "$q")
        ours_fixed=$(latency "dns64d       " 5304 "$secs" -Q "$q")
    else
        ours_fixed=$(latency "dns64d       " 5304 "$secs" -Q "$q")
        theirs_fixed=$(latency "unbound dns64" 5302 "$secs" -Q "$q")
    fi
    ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }')
    cpu=$(awk -v a="$(cat "$dir/cpu.5304")" -v b="$(cat "$dir/cpu.5302")" 'BEGIN { printf "%.2f", a / b }')
    sat=$(p99ratio "$ours_sat" "$theirs_sat")
    fixed=$(p99ratio "$ours_fixed" "$theirs_fixed")
    echo "run $r: ours/unbound = $ratio queries/s, $cpu CPU per query, p99 $sat at saturation, $fixed at $q/s" >&2
    ratios+=("$ratio")
    cpus+=("$cpu")
    p99sat+=("$sat")
    p99fixed+=("$fixed")
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "DNS64 cached AAAA (synthesized), $names names, dnsperf -c $clients, ${secs}s each, single-threaded both, $runs runs$([ ${#srv_pin[@]} -gt 0 ] && echo ", pinned"):"
spread() { sort -g | awk -v what="$1" '{ r[NR] = $1 } END {
    printf "ours/unbound %s: min %.2f, median %.2f, max %.2f\n", what, r[1], r[int((NR + 1) / 2)], r[NR] }'; }
printf '%s\n' "${ratios[@]}" | spread "queries/s"
printf '%s\n' "${cpus[@]}" | spread "CPU per query (lower is better)"
printf '%s\n' "${p99sat[@]}" | spread "p99 at saturation (lower is better)"
printf '%s\n' "${p99fixed[@]}" | spread "p99 at the fixed rate (lower is better)"
