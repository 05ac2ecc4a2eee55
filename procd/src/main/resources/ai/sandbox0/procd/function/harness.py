# procd's Sandbox Function harness: runs one function once, for one request (docs/procd-protocol.md,
# "Functions"). procd starts it as `python3 -c <this file> http|ws` and talks to it over two private
# channels, taken over before the function's source is loaded:
#   fd 0 as procd left it -> CTL: frames from procd (the invocation, then WebSocket client frames)
#   fd 1 as procd left it -> RES: frames to procd (the response, or WebSocket server frames)
# The function itself sees /dev/null on fd 0 and procd's log pipe on fds 1 and 2, so print() and
# subprocess output never reach the response. A frame is one type byte, a big-endian uint32 length
# and that many bytes.
import asyncio
import base64
import binascii
import inspect
import json
import linecache
import os
import re
import struct
import sys
import threading
import traceback
import types


def _take_channels():
    ctl = os.dup(0)  # os.dup makes non-inheritable fds: the function's children never see them
    res = os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return ctl, res


CTL, RES = _take_channels()
_WRITE = threading.Lock()
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
FILENAME = "function.py"


def emit(kind, payload=b""):
    data = memoryview(struct.pack(">cI", kind, len(payload)) + payload)
    with _WRITE:
        while data:
            data = data[os.write(RES, data):]


def _read_exact(n):
    parts = []
    while n > 0:
        chunk = os.read(CTL, min(n, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def read_frame():
    header = _read_exact(5)
    if header is None:
        return None
    kind, n = struct.unpack(">cI", header)
    payload = _read_exact(n) if n else b""
    return None if payload is None else (kind, payload)


class InvalidResponse(Exception):
    """The function's return value is not a response procd can send (a 502, not the function's fault)."""


def load(code):
    module = types.ModuleType("sandbox0_function")
    module.__file__ = FILENAME
    # Tracebacks in procd's log show the source lines (mtime None: linecache keeps the entry).
    linecache.cache[FILENAME] = (len(code), None, code.splitlines(True), FILENAME)
    sys.modules[module.__name__] = module
    exec(compile(code, FILENAME, "exec"), module.__dict__)
    return module


def resolve(module, dotted):
    target = module
    for part in dotted.split("."):
        if not hasattr(target, part):
            raise AttributeError("handler %r is not defined by the function source" % dotted)
        target = getattr(target, part)
    if not callable(target):
        raise TypeError("handler %r is not callable" % dotted)
    return target


def request_of(invocation, with_body):
    given = invocation.get("request") or {}
    request = {
        "service_id": given.get("service_id") or invocation.get("service_id") or "",
        "route_id": given.get("route_id") or invocation.get("route_id") or "",
        "method": given.get("method") or "GET",
        "path": given.get("path") or "/",
        "raw_query": given.get("raw_query") or "",
        "headers": given.get("headers") or {},
    }
    if with_body:
        request["body_base64"] = given.get("body_base64") or ""
    return request


def wants_event_stream(request):
    for name, values in request["headers"].items():
        if name.lower() == "accept":
            for value in values if isinstance(values, list) else [values]:
                if "text/event-stream" in str(value).lower():
                    return True
    return False


def json_bytes(value):
    try:
        return json.dumps(value).encode()
    except (TypeError, ValueError) as e:
        raise InvalidResponse("body is not JSON-serializable: %s" % e)


def header_list(headers):
    if headers is None:
        return []
    if not isinstance(headers, dict):
        raise InvalidResponse("headers must be an object of strings or lists of strings")
    out = []
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise InvalidResponse("invalid header name %r" % (name,))
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if not isinstance(v, str):
                raise InvalidResponse("header %s must be a string or a list of strings" % name)
            if "\r" in v or "\n" in v or "\0" in v:
                raise InvalidResponse("header %s has a line break" % name)
            out.append([name, v])
    return out


def _bytes_like(value):
    return isinstance(value, (bytes, bytearray, memoryview))


def iterable_body(body, event_stream):
    """Bodies sent chunk by chunk: async iterables and iterators; with SSE any non-scalar iterable."""
    if hasattr(body, "__aiter__"):
        return True
    if isinstance(body, (str, dict)) or _bytes_like(body):
        return False
    return hasattr(body, "__next__") or (event_stream and hasattr(body, "__iter__"))


def chunk_bytes(chunk):
    if _bytes_like(chunk):
        return bytes(chunk)
    if isinstance(chunk, str):
        return chunk.encode()
    return b"data: " + json_bytes(chunk) + b"\n\n"  # anything else is one SSE event of JSON


async def chunks(body):
    if hasattr(body, "__aiter__"):
        async for c in body:
            yield c
    else:
        for c in body:
            yield c


def head(status, headers, stream):
    emit(b"H", json.dumps({"status": status, "headers": headers, "stream": stream}).encode())


async def respond(result, event_stream):
    if inspect.isawaitable(result):
        result = await result
    if result is None:
        head(204, [], False)
        emit(b"E")
        return
    if isinstance(result, dict):
        status = result.get("status")
        status = 200 if status is None else status
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise InvalidResponse("status must be an integer from 100 to 599")
        headers = header_list(result.get("headers"))
        if result.get("body") is not None:
            body = result["body"]
        elif result.get("body_base64") is not None:
            try:
                body = base64.b64decode(result["body_base64"], validate=True)
            except (binascii.Error, TypeError, ValueError):
                raise InvalidResponse("body_base64 is not base64")
        else:
            body = b""  # a response object without a body has an empty one
        json_default = not isinstance(body, str) and not _bytes_like(body)
    else:
        status, headers, body = 200, [], result  # any other value is the body, as JSON (bytes as they are)
        json_default = not _bytes_like(body)
    names = {name.lower() for name, _ in headers}
    if iterable_body(body, event_stream):
        streaming = event_stream
        if streaming:
            if "content-type" not in names:
                headers.append(["Content-Type", "text/event-stream"])
            if "cache-control" not in names:
                headers.append(["Cache-Control", "no-cache"])
        head(status, headers, streaming)
        async for chunk in chunks(body):
            data = chunk_bytes(chunk)
            if data:
                emit(b"B", data)
        emit(b"E")
        return
    if json_default:
        data = json_bytes(body)
        if "content-type" not in names:
            headers.append(["Content-Type", "application/json"])
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = bytes(body)
    head(status, headers, False)
    if data:
        emit(b"B", data)
    emit(b"E")


class WebSocket:
    """The handler's end of the WebSocket: `async for msg in ws`, `await ws.send(...)`, `await ws.close()`."""

    def __init__(self):
        self._loop = asyncio.get_running_loop()
        self._inbox = asyncio.Queue()
        self._ended = False
        self.closed = False
        threading.Thread(target=self._pump, name="ws-reader", daemon=True).start()

    def _pump(self):
        while True:
            frame = read_frame()
            message = None
            if frame is not None and frame[0] == b"T":
                message = frame[1].decode("utf-8", "replace")
            elif frame is not None and frame[0] == b"Y":
                message = frame[1]
            try:
                self._loop.call_soon_threadsafe(self._inbox.put_nowait, message)
            except RuntimeError:
                return  # the loop is gone: the handler has returned
            if message is None:
                return

    async def receive(self):
        """The next message (str for text, bytes for binary), or None once the client has closed."""
        if self._ended:
            return None
        message = await self._inbox.get()
        if message is None:
            self._ended = True
        return message

    def __aiter__(self):
        return self

    async def __anext__(self):
        message = await self.receive()
        if message is None:
            raise StopAsyncIteration
        return message

    async def send(self, data):
        if self.closed:
            raise RuntimeError("the WebSocket is closed")
        if isinstance(data, str):
            emit(b"T", data.encode())
        elif _bytes_like(data):
            emit(b"Y", bytes(data))
        else:
            raise TypeError("ws.send takes str or bytes, not %s" % type(data).__name__)

    async def close(self, code=1000, reason=""):
        if not self.closed:
            self.closed = True
            emit(b"C", json.dumps({"code": int(code), "reason": str(reason)}).encode())


async def serve_socket(target, request):
    ws = WebSocket()
    result = target(request, ws)
    if inspect.isawaitable(result):
        await result
    await ws.close()


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "http"
    frame = read_frame()
    if frame is None or frame[0] != b"I":
        return
    invocation = json.loads(frame[1])
    function = invocation.get("function") or {}
    code = (function.get("source") or {}).get("code") or ""
    try:
        target = resolve(load(code), function.get("handler") or "handler")
        if mode == "ws":
            asyncio.run(serve_socket(target, request_of(invocation, False)))
            return
        request = request_of(invocation, True)
        result = target(request)  # a sync handler runs outside any event loop: it may start its own
        asyncio.run(respond(result, wants_event_stream(request)))
    except InvalidResponse as e:
        emit(b"X", str(e).encode())
    except BaseException as e:  # SystemExit and KeyboardInterrupt too: the request still gets an answer
        traceback.print_exc()
        message = str(e)
        emit(b"F", (type(e).__name__ + (": " + message if message else "")).encode())


main()
