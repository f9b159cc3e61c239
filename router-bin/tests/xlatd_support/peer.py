"""Test peer for the translator tests: `serve ADDR PORT` runs a TCP server
(reads until EOF, answers with the byte count and SHA-256, then sends back
N bytes if asked) and a UDP echo server; `tcp ADDR PORT UP DOWN` and
`udp ADDR PORT COUNT` are the clients, `bigudp ADDR PORT SIZE` sends one
DF-less datagram that must be fragmented on the way; each exits 0 only
when all its checks pass."""
import hashlib, socket, sys, threading

def pattern(n):
    return bytes((i * 7 + 3) & 0xFF for i in range(256)) * (n // 256) + bytes((i * 7 + 3) & 0xFF for i in range(n % 256))

def serve(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((addr, port))
    def udp():
        while True:
            data, peer = u.recvfrom(65535)
            if data.startswith(b"BIG"):
                # A big datagram is answered with its size and checksum.
                data = f"got {len(data)} {hashlib.sha256(data).hexdigest()}".encode()
            u.sendto(data, peer)
    threading.Thread(target=udp, daemon=True).start()
    t = socket.socket(fam, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, port))
    t.listen(8)
    while True:
        c, _ = t.accept()
        got = b""
        while True:
            b = c.recv(65536)
            if not b:
                break
            got += b
        line, data = got.split(b"\n", 1)
        down = int(line)
        h = hashlib.sha256(data).hexdigest()
        c.sendall(f"{len(data)} {h}\n".encode() + pattern(down))
        c.shutdown(socket.SHUT_WR)
        c.close()

def tcp(addr, port, up, down):
    c = socket.create_connection((addr, port), timeout=20)
    c.sendall(f"{down}\n".encode())
    data = pattern(up)
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        b = c.recv(65536)
        if not b:
            break
        got += b
    line, rest = got.split(b"\n", 1)
    want = f"{len(data)} {hashlib.sha256(data).hexdigest()}".encode()
    assert line == want, (line, want)
    assert rest == pattern(down), (len(rest), down)
    print(f"tcp ok: {up} bytes up, {down} down")

def udp(addr, port, count):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(2)
    ok = 0
    for i in range(count):
        msg = f"datagram {i} ".encode() * 20
        for _ in range(3):
            s.sendto(msg, (addr, port))
            try:
                data, _ = s.recvfrom(65535)
            except socket.timeout:
                continue
            assert data == msg
            ok += 1
            break
    assert ok == count, (ok, count)
    print(f"udp ok: {count} echoed")

def bigudp(addr, port, size):
    """One DF-less datagram of `size` bytes (the translators fragment it)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER: IP_PMTUDISC_DONT
    s.settimeout(2)
    msg = b"BIG" + pattern(size - 3)
    want = f"got {size} {hashlib.sha256(msg).hexdigest()}".encode()
    for _ in range(3):
        s.sendto(msg, (addr, port))
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            continue
        assert data == want, (data, want)
        print(f"bigudp ok: {size} bytes")
        return
    raise SystemExit(f"bigudp: no answer for {size} bytes")

cmd = sys.argv[1]
if cmd == "serve":
    serve(sys.argv[2], int(sys.argv[3]))
elif cmd == "bigudp":
    bigudp(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
elif cmd == "tcp":
    tcp(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
else:
    udp(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
