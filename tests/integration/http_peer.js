// Node.js's own http module on both sides, for test_http.py.
//
//   node http_peer.js server
//     listens on 127.0.0.1 (a port the kernel picks), prints the port on a
//     line of its own and serves until its standard input closes: GET /hello
//     answers 200 "hello from node\n", GET /stream 200 with no length (to an
//     HTTP/1.0 client the body ends with the connection), GET /cut 200 with
//     7 bytes of 100 then the connection cut, GET /slow/NAME 200 "NAME\n"
//     after 300 ms (requests overlap), GET /relay/NAME what its own
//     /slow/NAME answers, asked on a connection of its own, anything else
//     404.
//   node http_peer.js client URL...
//     GETs each URL in turn over one keep-alive connection and prints
//     "STATUS BODY" for each.
"use strict";
const http = require("http");

// A fixed date: two runs answer byte for byte alike.
function answer(res, status, body) {
  res.writeHead(status, {
    "Content-Type": "text/plain",
    "Content-Length": Buffer.byteLength(body),
    Date: "Thu, 01 Jan 2026 00:00:00 GMT",
  });
  res.end(body);
}

function server() {
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      // No length: an HTTP/1.0 client's body ends when Node closes.
      if (req.url === "/stream") {
        res.writeHead(200, { Date: "Thu, 01 Jan 2026 00:00:00 GMT" });
        res.end("streamed\n");
        return;
      }
      // Part of the body, then the connection cut.
      if (req.url === "/cut") {
        res.writeHead(200, { "Content-Length": 100, Date: "Thu, 01 Jan 2026 00:00:00 GMT" });
        res.write("partial");
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      if (req.url.startsWith("/slow/")) {
        setTimeout(() => answer(res, 200, req.url.slice(6) + "\n"), 300);
        return;
      }
      if (req.url.startsWith("/relay/")) {
        const path = "/slow/" + req.url.slice(7);
        http
          .get({ host: "127.0.0.1", port: srv.address().port, path, agent: false }, (up) => {
            let body = "";
            up.setEncoding("utf8");
            up.on("data", (d) => (body += d));
            up.on("end", () => answer(res, up.statusCode, body));
          })
          .on("error", () => answer(res, 502, "bad gateway\n"));
        return;
      }
      const found = req.method === "GET" && req.url === "/hello";
      answer(res, found ? 200 : 404, found ? "hello from node\n" : "not found\n");
    });
  });
  srv.keepAliveTimeout = 30000;
  srv.listen(0, "127.0.0.1", () => {
    process.stdout.write(srv.address().port + "\n");
  });
  process.stdin.resume();
  process.stdin.on("end", () => {
    srv.close();
    srv.closeAllConnections();
  });
}

function client(urls) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const next = (i) => {
    if (i === urls.length) {
      agent.destroy();
      return;
    }
    http
      .get(urls[i], { agent }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (body += d));
        res.on("end", () => {
          process.stdout.write(res.statusCode + " " + body);
          next(i + 1);
        });
      })
      .on("error", (e) => {
        process.stderr.write("error: " + e.message + "\n");
        process.exitCode = 1;
      });
  };
  next(0);
}

if (process.argv[2] === "server") {
  server();
} else if (process.argv[2] === "client" && process.argv.length > 3) {
  client(process.argv.slice(3));
} else {
  process.stderr.write("usage: node http_peer.js server | client URL...\n");
  process.exitCode = 2;
}
