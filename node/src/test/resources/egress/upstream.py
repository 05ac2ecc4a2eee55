# The egress tests' "internet": servers in their own network namespace that log what reached them.
#   80   HTTP/1.1: GET /bytes/N -> N bytes of pattern; anything else -> "hello <Host>"
#   443  HTTPS (the cert and key given as arguments): "tls <SNI> <Host>"
#   7000 sink: reads to EOF, answers "<count> <sha256>" and closes
#   7001 speaks first: "220 banner", then echoes
#   7002 echo
#   7003 source: reads a byte count on a line, sends that many bytes, closes
#   1080 SOCKS5 (no auth): connects where asked, names resolved to 198.18.77.2
# Every accepted connection and what it asked for is appended to the log (first argument).
import hashlib, http.server, socket, socketserver, ssl, struct, sys, threading

LOG, CERT, KEY = sys.argv[1], sys.argv[2], sys.argv[3]
lock = threading.Lock()

def log(*words):
    with lock, open(LOG, "a") as f:
        f.write(" ".join(str(w) for w in words) + "\n")

def pattern(n):
    block = bytes(i % 251 for i in range(251 * 4096))
    out = bytearray()
    while len(out) < n:
        out += block
    return bytes(out[:n])

class Tcp(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 1024

class Web(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_GET(self):
        host = self.headers.get("Host", "-")
        sni = getattr(self.connection, "sni", None)
        log("tls" if self.server.tls else "http", self.connection.getsockname()[0], sni or "-", host, self.path)
        if self.path.startswith("/bytes/"):
            body = pattern(int(self.path[7:]))
        elif self.server.tls:
            body = ("tls %s %s" % (sni, host)).encode()
        else:
            body = ("hello %s" % host).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

class Accepting(socketserver.BaseRequestHandler):
    def setup(self):
        log("accept", self.server.server_address[1], self.request.getsockname()[0])

class Sink(Accepting):
    def handle(self):
        h, n = hashlib.sha256(), 0
        while True:
            b = self.request.recv(65536)
            if not b:
                break
            h.update(b)
            n += len(b)
        self.request.sendall(("%d %s\n" % (n, h.hexdigest())).encode())

class Banner(Accepting):
    def handle(self):
        self.request.sendall(b"220 banner\r\n")
        Echo.handle(self)

class Echo(Accepting):
    def handle(self):
        while True:
            b = self.request.recv(65536)
            if not b:
                return
            self.request.sendall(b)

class Source(Accepting):
    def handle(self):
        n = int(self.request.makefile().readline())
        block = memoryview(bytes(range(256)) * 4096)
        while n > 0:
            k = min(n, len(block))
            self.request.sendall(block[:k])
            n -= k

class Socks(Accepting):
    def handle(self):
        c = self.request
        n = c.recv(2)[1]
        methods = c.recv(n)
        if 2 in methods:
            # RFC 1929 username/password, logged so the test sees what the proxy presented.
            c.sendall(b"\x05\x02")
            c.recv(1)
            user = c.recv(c.recv(1)[0]).decode()
            password = c.recv(c.recv(1)[0]).decode()
            log("socks-auth", user, password)
            c.sendall(b"\x01\x00")
        else:
            c.sendall(b"\x05\x00")
        ver, cmd, _, atyp = c.recv(4)
        if atyp == 1:
            host = socket.inet_ntoa(c.recv(4)); kind = "ipv4"; target = host
        else:
            host = c.recv(c.recv(1)[0]).decode(); kind = "domain"; target = "198.18.77.2"
        port = struct.unpack(">H", c.recv(2))[0]
        log("socks", kind, host, port)
        u = socket.create_connection((target, port))
        c.sendall(b"\x05\x00\x00\x01" + socket.inet_aton(target) + struct.pack(">H", port))
        def pump(a, b):
            try:
                while True:
                    d = a.recv(65536)
                    if not d:
                        b.shutdown(socket.SHUT_WR)
                        return
                    b.sendall(d)
            except OSError:
                pass
        t = threading.Thread(target=pump, args=(u, c), daemon=True)
        t.start()
        pump(c, u)
        t.join()

def web(port, tls):
    s = http.server.ThreadingHTTPServer(("0.0.0.0", port), Web)
    s.daemon_threads = True
    s.request_queue_size = 1024
    s.tls = tls
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(CERT, KEY)
        def sni(sock, name, _):
            sock.sni = name
        ctx.sni_callback = sni
        s.socket = ctx.wrap_socket(s.socket, server_side=True)
    return s

servers = [web(80, False), web(443, True), Tcp(("0.0.0.0", 7000), Sink), Tcp(("0.0.0.0", 7001), Banner),
           Tcp(("0.0.0.0", 7002), Echo), Tcp(("0.0.0.0", 7003), Source), Tcp(("0.0.0.0", 1080), Socks)]
for s in servers[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
log("ready")
servers[0].serve_forever()
