# Upstreams for the inspection tests, each request logged as one JSON line to the log (first argument):
#   8080 HTTP (or the sixth argument), 8443 HTTPS (certificate of the test CA), 8444 HTTPS (self-signed: no proxy may trust it)
#   Any path: answers what it received as JSON {method, path, headers, body}.
#   POST /mcp: a streamable-HTTP MCP server (JSON-RPC): tools/list, tools/call answered with a result.
import http.server, json, ssl, sys, threading

LOG, CERT, KEY, BAD_CERT, BAD_KEY = sys.argv[1:6]
PLAIN = int(sys.argv[6]) if len(sys.argv) > 6 else 8080
lock = threading.Lock()

def log(entry):
    with lock, open(LOG, "a") as f:
        f.write(json.dumps(entry) + "\n")

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no wait for the first one's ACK
    def log_message(self, *a):
        pass
    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        entry = {"port": self.server.server_address[1], "method": self.command, "path": self.path,
                 "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
        if self.path == "/mcp" and self.command == "POST":
            msg = json.loads(body)
            entry["rpc"] = msg.get("method")
            entry["tool"] = (msg.get("params") or {}).get("name")
            if msg.get("method") == "tools/list":
                result = {"tools": [{"name": "read_file"}, {"name": "delete_repo"}]}
            else:
                result = {"content": [{"type": "text", "text": "called " + str(entry["tool"])}]}
            out = json.dumps({"jsonrpc": "2.0", "id": msg.get("id"), "result": result}).encode()
        else:
            out = json.dumps(entry).encode()
        log(entry)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)
    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any

def server(port, cert=None, key=None):
    s = http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler)
    s.daemon_threads = True
    s.request_queue_size = 1024
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        s.socket = ctx.wrap_socket(s.socket, server_side=True)
    return s

servers = [server(PLAIN), server(8443, CERT, KEY), server(8444, BAD_CERT, BAD_KEY)]
for s in servers[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
log({"ready": True})
servers[0].serve_forever()
