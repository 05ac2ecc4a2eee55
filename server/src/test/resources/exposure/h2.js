// An HTTP/2-only (h2c, prior knowledge) server answering like a gRPC service: it echoes the request body with
// content-type application/grpc and ends with grpc-status trailers. Node's standard library only.
const http2 = require('http2');

const port = Number(process.argv[2] || 9090);
const server = http2.createServer();
server.on('stream', (stream, headers) => {
  const chunks = [];
  stream.on('data', (d) => chunks.push(d));
  stream.on('end', () => {
    stream.respond({':status': 200, 'content-type': 'application/grpc', 'x-path': headers[':path']},
      {waitForTrailers: true});
    stream.on('wantTrailers', () => stream.sendTrailers({'grpc-status': '0', 'grpc-message': 'echoed'}));
    stream.end(Buffer.concat(chunks));
  });
});
server.listen(port, '0.0.0.0', () => console.log('h2c on ' + port));
