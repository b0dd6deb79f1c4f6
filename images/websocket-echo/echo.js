// A websocket echo server for the tests and benchmarks of the gateway: answers HTTP
// 200 on any path (a 1 KB page on a path ending in /1k, the benchmarks' page), and
// echoes every websocket frame (ping with pong).
const crypto = require("crypto");
const KB = "x".repeat(1023) + "\n";
const server = require("http").createServer((req, res) =>
  res.end(req.url.endsWith("/1k") ? KB : "websocket echo\n"),
);
server.on("upgrade", (req, socket, head) => {
  const accept = crypto.createHash("sha1")
    .update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
    .digest("base64");
  socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
    `Connection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  socket.setNoDelay(true);
  socket.on("error", () => socket.destroy());
  let buf = head;
  socket.on("data", (data) => {  // frames of at most 64 KiB, each echoed (ping: pong)
    buf = Buffer.concat([buf, data]);
    while (buf.length >= 2) {
      const op = buf[0] & 0x0f;
      let len = buf[1] & 0x7f, at = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); at = 4; }
      if (len === 127) { socket.destroy(); return; }
      const mask = buf[1] & 0x80 ? buf.subarray(at, at + 4) : null;
      if (mask) at += 4;
      if (buf.length < at + len) return;
      const payload = Buffer.from(buf.subarray(at, at + len));
      buf = buf.subarray(at + len);
      if (mask) for (let i = 0; i < len; i++) payload[i] ^= mask[i & 3];
      if (op === 8) { socket.end(Buffer.from([0x88, 0])); return; }
      const header = len < 126 ? Buffer.from([0, len]) : Buffer.from([0, 126, len >> 8, len & 255]);
      header[0] = 0x80 | (op === 9 ? 10 : op);
      socket.write(Buffer.concat([header, payload]));
    }
  });
});
server.listen(8888);
