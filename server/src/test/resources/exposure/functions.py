# Handlers of the function services in FunctionExposureTest; each service names one as its handler.
import base64
import os
import time


def plain(request):
    return {"status": 201, "headers": {"X-Fn": "plain", "Set-Cookie": ["a=1", "b=2"]}, "body": {"ok": True}}


def echo(request):
    body = base64.b64decode(request["body_base64"])
    # A returned dict is a response object: what the client reads goes in its body.
    return {"body": {
        "service_id": request["service_id"],
        "route_id": request["route_id"],
        "method": request["method"],
        "path": request["path"],
        "raw_query": request["raw_query"],
        "headers": {name.lower(): values for name, values in request["headers"].items()},
        "length": len(body),
        "start": body[:16].decode("utf-8", "replace"),
    }}


def nothing(request):
    return None


def events(request):
    release = request["raw_query"].split("release=", 1)[1]

    def stream():
        yield "data: first\n\n"
        while not os.path.exists(release):
            time.sleep(0.05)
        yield "data: second\n\n"

    return {"headers": {"X-Fn": "sse"}, "body": stream()}


def boom(request):
    raise ValueError("broken on purpose")


def slow(request):
    time.sleep(60)


def env(request):
    return {"body": {"greeting": os.environ.get("GREETING"), "path": os.environ.get("PATH")}}


async def sockets(request, ws):
    await ws.send("path " + request["path"])
    async for message in ws:
        if isinstance(message, bytes):
            await ws.send(message[::-1])
        elif message == "bye":
            await ws.close(4001, "asked to")
            return
        else:
            await ws.send("echo: " + message)


async def listener(request, ws):
    async for message in ws:
        await ws.send("heard " + message)
    # The client has closed: say so where the test can look.
    with open(request["raw_query"].split("done=", 1)[1], "w") as f:
        f.write("closed")


def ticker(request):
    pid_file = request["raw_query"].split("pid=", 1)[1]

    def stream():
        with open(pid_file, "w") as f:
            f.write(str(os.getpid()))
        while True:
            yield "data: tick\n\n"
            time.sleep(0.1)

    return {"body": stream()}
