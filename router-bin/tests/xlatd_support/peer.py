"""Test peer for the translator tests: `serve ADDR PORT` runs a TCP server
(reads until EOF, answers with the byte count and SHA-256, then sends back
N bytes if asked) and a UDP echo server; `tcp ADDR PORT UP DOWN` and
`udp ADDR PORT COUNT` are the clients, exiting 0 only when all checks pass."""
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

cmd = sys.argv[1]
if cmd == "serve":
    serve(sys.argv[2], int(sys.argv[3]))
elif cmd == "tcp":
    tcp(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
else:
    udp(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
