// A sandbox's web app for the exposure tests: echoes requests, streams, serves a page and a WebSocket echo.
// Node's standard library only (the default template has node, not npm packages).
const http = require('http');
const crypto = require('crypto');
const fs = require('fs');

const port = Number(process.argv[2] || 8080);

function waitForFile(path, done) {
  const timer = setInterval(() => {
    if (fs.existsSync(path)) { clearInterval(timer); done(); }
  }, 20);
}

const PAGE = `<!doctype html><html><body><h1 id="title">sandbox page</h1><p id="out">waiting</p>
<script>
const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
ws.onopen = () => ws.send('hello from the browser');
let settled = false;
ws.onmessage = (e) => { settled = true; document.getElementById('out').textContent = e.data; };
ws.onerror = () => { settled = true; document.getElementById('out').textContent = 'websocket failed'; };
// A headless browser's virtual time (--virtual-time-budget) waits for fetches, not for WebSocket messages:
// a fetch stays pending until the WebSocket has settled, so a DOM dump or screenshot shows its outcome.
const hold = () => { if (!settled) fetch('/slow?ms=100').then(hold, hold); };
hold();
</script></body></html>`;

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/sse') {
    res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache'});
    res.write('data: first\n\n');
    // A client that goes away must be seen here too: the proxy closes its side.
    const closed = url.searchParams.get('closed');
    if (closed) res.on('close', () => { if (!res.writableFinished) fs.writeFileSync(closed, 'closed'); });
    // The second event waits for the test to have seen the first: proof that nothing is buffered.
    waitForFile(url.searchParams.get('release'), () => { res.end('data: second\n\n'); });
    return;
  }
  if (url.pathname === '/slow') {
    setTimeout(() => { res.writeHead(200); res.end('late'); }, Number(url.searchParams.get('ms') || 3000));
    return;
  }
  if (url.pathname === '/big') {
    const total = Number(url.searchParams.get('mb') || 1) * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    res.writeHead(200, {'content-type': 'application/octet-stream', 'content-length': total});
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        const n = Math.min(chunk.length, total - sent);
        sent += n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) { res.once('drain', pump); return; }
      }
      res.end();
    };
    pump();
    return;
  }
  if (url.pathname === '/page') {
    res.writeHead(200, {'content-type': 'text/html'});
    res.end(PAGE);
    return;
  }
  const hash = crypto.createHash('sha256');
  let length = 0;
  req.on('data', (d) => { hash.update(d); length += d.length; });
  req.on('end', () => {
    const body = JSON.stringify({method: req.method, path: url.pathname, query: url.search, headers: req.headers,
      length, sha256: hash.digest('hex'), port});
    res.writeHead(200, {'content-type': 'application/json', 'x-app': 'exposure-test',
      'connection': 'keep-alive, x-hop', 'x-hop': 'must not pass'});
    res.end(body);
  });
});

// RFC 6455 by hand: text and binary echo, ping answered, close echoed.
server.on('upgrade', (req, socket) => {
  const key = req.headers['sec-websocket-key'];
  const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  const offered = (req.headers['sec-websocket-protocol'] || '').split(',').map((s) => s.trim()).filter(Boolean);
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade',
    'Sec-WebSocket-Accept: ' + accept];
  if (offered.includes('echo.v1')) lines.push('Sec-WebSocket-Protocol: echo.v1');
  socket.write(lines.join('\r\n') + '\r\n\r\n');
  let buffered = Buffer.alloc(0);
  const send = (opcode, payload) => {
    const head = payload.length < 126 ? Buffer.from([0x80 | opcode, payload.length])
      : payload.length < 65536 ? Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 255])
      : (() => { const b = Buffer.alloc(10); b[0] = 0x80 | opcode; b[1] = 127; b.writeBigUInt64BE(BigInt(payload.length), 2); return b; })();
    socket.write(Buffer.concat([head, payload]));
  };
  // A message may come in fragments (continuation frames); it is echoed whole once its last one is in.
  let message = null;
  let messageOpcode = 0;
  socket.on('data', (data) => {
    buffered = Buffer.concat([buffered, data]);
    for (;;) {
      if (buffered.length < 2) return;
      const fin = (buffered[0] & 0x80) !== 0;
      let opcode = buffered[0] & 15;
      let len = buffered[1] & 127;
      let offset = 2;
      if (len === 126) { if (buffered.length < 4) return; len = buffered.readUInt16BE(2); offset = 4; }
      else if (len === 127) { if (buffered.length < 10) return; len = Number(buffered.readBigUInt64BE(2)); offset = 10; }
      if (buffered.length < offset + 4 + len) return;
      const mask = buffered.subarray(offset, offset + 4);
      const payload = Buffer.from(buffered.subarray(offset + 4, offset + 4 + len));
      for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
      buffered = buffered.subarray(offset + 4 + len);
      if (opcode === 8) { send(8, payload); socket.end(); return; }
      if (opcode === 9) { send(10, payload); continue; }
      if (opcode === 10) continue;
      if (opcode === 1 || opcode === 2) { message = payload; messageOpcode = opcode; }
      else if (opcode === 0 && message !== null) { message = Buffer.concat([message, payload]); }
      if (!fin || message === null) continue;
      if (messageOpcode === 1) send(1, Buffer.from('echo: ' + message.toString()));
      else send(2, message);
      message = null;
    }
  });
  socket.on('error', () => {});
});

server.listen(port, '0.0.0.0', () => console.log('listening on ' + port));
