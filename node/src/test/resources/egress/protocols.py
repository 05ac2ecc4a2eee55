# Upstreams for the protocol inspection tests (Debian's python3-h2, python3-grpcio, python3-websockets), each
# request logged as one JSON line to the log (first argument); certificate and key of the test CA follow.
#   9443 HTTPS, ALPN h2 and http/1.1: any request answered with what it received as JSON
#        {protocol, method, path, headers, body}; protocol is the one the connection negotiated.
#        Over HTTP/2, /reset is answered with RST_STREAM ENHANCE_YOUR_CALM.
#   9444 gRPC over TLS, raw bytes: /test.Echo/Say answers b"echo:" + request with trailing metadata
#        x-echo-done; /test.Echo/Count streams b"1", b"2", b"3"; /test.Echo/Fail ends PERMISSION_DENIED.
#        Each call logged as {grpc, metadata}.
#        /test.Echo/Many streams 2000 messages of 1 KiB (more than any flow-control window), or as many as
#        the request says; its end is logged as {grpc-done, sent}.
#   9445 WebSocket over TLS: echoes every message; the upgrade request logged as {ws, headers}.
#   9080 h2c with prior knowledge (plain TCP): as 9443's HTTP/2.
import asyncio, json, socket, ssl, sys, threading
from concurrent import futures

import grpc
import h2.config, h2.connection, h2.errors, h2.events
import websockets

LOG, CERT, KEY = sys.argv[1:4]
lock = threading.Lock()


def log(entry):
    with lock, open(LOG, "a") as f:
        f.write(json.dumps(entry) + "\n")


def tls(alpn):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT, KEY)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


# ---- 9443: HTTP/2 or HTTP/1.1, as negotiated

def answer(protocol, method, path, headers, body):
    entry = {"protocol": protocol, "method": method, "path": path, "headers": headers,
             "body": body.decode("utf-8", "replace")}
    log(entry)
    return json.dumps(entry).encode()


def serve_h2(sock):
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    requests = {}
    while True:
        data = sock.recv(65536)
        if not data:
            return
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.RequestReceived):
                requests[ev.stream_id] = (ev.headers, bytearray())
                if dict(ev.headers).get(":path") == "/reset":
                    log({"protocol": "h2", "path": "/reset"})
                    requests.pop(ev.stream_id)
                    conn.reset_stream(ev.stream_id, error_code=h2.errors.ErrorCodes.ENHANCE_YOUR_CALM)
            elif isinstance(ev, h2.events.DataReceived):
                requests[ev.stream_id][1].extend(ev.data)
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id in requests:
                headers, body = requests.pop(ev.stream_id)
                pseudo = {k: v for k, v in headers if k.startswith(":")}
                regular = {}
                for k, v in headers:
                    if not k.startswith(":"):
                        regular[k] = regular[k] + ", " + v if k in regular else v
                out = answer("h2", pseudo[":method"], pseudo[":path"], regular, bytes(body))
                conn.send_headers(ev.stream_id, [(":status", "200"), ("content-type", "application/json"),
                                                 ("content-length", str(len(out)))])
                conn.send_data(ev.stream_id, out, end_stream=True)
            elif isinstance(ev, h2.events.ConnectionTerminated):
                sock.sendall(conn.data_to_send())
                return
        sock.sendall(conn.data_to_send())


def serve_http1(sock):
    f = sock.makefile("rb")
    while True:
        line = f.readline()
        if not line:
            return
        method, path, _ = line.decode().split(" ", 2)
        headers = {}
        while True:
            h = f.readline().decode()
            if h in ("\r\n", "\n", ""):
                break
            k, v = h.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        body = f.read(int(headers.get("content-length", "0")))
        out = answer("http/1.1", method, path, headers, body)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(out) + out)


def http_connection(raw, ctx):
    try:
        with ctx.wrap_socket(raw, server_side=True) as sock:
            if sock.selected_alpn_protocol() == "h2":
                serve_h2(sock)
            else:
                serve_http1(sock)
    except (OSError, ValueError):
        pass


def http_server():
    ctx = tls(["h2", "http/1.1"])
    s = socket.create_server(("0.0.0.0", 9443), backlog=128)
    while True:
        raw, _ = s.accept()
        threading.Thread(target=http_connection, args=(raw, ctx), daemon=True).start()


def h2c_connection(sock):
    try:
        with sock:
            serve_h2(sock)
    except (OSError, ValueError):
        pass


def h2c_server():
    s = socket.create_server(("0.0.0.0", 9080), backlog=128)
    while True:
        raw, _ = s.accept()
        threading.Thread(target=h2c_connection, args=(raw,), daemon=True).start()


# ---- 9444: gRPC

def say(request, context):
    log({"grpc": "/test.Echo/Say", "metadata": {k: v for k, v in context.invocation_metadata()}})
    context.set_trailing_metadata((("x-echo-done", "yes"),))
    return b"echo:" + request


def count(request, context):
    log({"grpc": "/test.Echo/Count", "metadata": {k: v for k, v in context.invocation_metadata()}})
    for i in (b"1", b"2", b"3"):
        yield i


def many(request, context):
    log({"grpc": "/test.Echo/Many", "metadata": {k: v for k, v in context.invocation_metadata()}})
    sent = [0]
    context.add_callback(lambda: log({"grpc-done": "/test.Echo/Many", "sent": sent[0]}))
    for i in range(int(request or b"2000")):
        sent[0] = i + 1
        yield b"%04d" % (i % 10000) + b"m" * 1020


def fail(request, context):
    log({"grpc": "/test.Echo/Fail", "metadata": {k: v for k, v in context.invocation_metadata()}})
    context.abort(grpc.StatusCode.PERMISSION_DENIED, "not you")


def grpc_server():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Echo", {
        "Say": grpc.unary_unary_rpc_method_handler(say),
        "Count": grpc.unary_stream_rpc_method_handler(count),
        "Many": grpc.unary_stream_rpc_method_handler(many),
        "Fail": grpc.unary_unary_rpc_method_handler(fail),
    }),))
    with open(CERT, "rb") as c, open(KEY, "rb") as k:
        creds = grpc.ssl_server_credentials([(k.read(), c.read())])
    server.add_secure_port("0.0.0.0:9444", creds)
    server.start()
    return server


# ---- 9445: WebSocket

async def echo(ws, path=None):
    async for message in ws:
        await ws.send(message)


def upgrade_request(path, headers):
    log({"ws": path, "headers": {k.lower(): v for k, v in headers.raw_items()}})
    return None


async def ws_main():
    async with websockets.serve(echo, "0.0.0.0", 9445, ssl=tls(None), process_request=upgrade_request,
                                max_size=None):
        await asyncio.Future()


threading.Thread(target=http_server, daemon=True).start()
threading.Thread(target=h2c_server, daemon=True).start()
threading.Thread(target=lambda: asyncio.run(ws_main()), daemon=True).start()
g = grpc_server()
for port in (9443, 9444, 9445, 9080):
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            threading.Event().wait(0.05)
log({"ready": True})
g.wait_for_termination()
