"""A webhook receiver for the tests: a real HTTP server in its own process.

Run it with `python tests/webhook_receiver.py`; it listens on a free port of 127.0.0.1
and prints the port on its first line. It records every POST (path, headers, body)
before answering, and answers by the path:

    /ok/<name>                 200
    /fail/<n>/<name>           500 to the first n requests to this path, then 200
    /status/<code>/<name>      always <code>
    /redirect/<name>           302 to /ok/<name>
    /hang/<name>               no answer for 30 s (a timeout case)

GET /requests returns what was recorded, as JSON (`?path=` keeps one path's requests).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

RECORDED: list[dict] = []
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    """Record each POST and answer as its path says."""

    def do_POST(self):  # noqa: N802 - http.server's name
        """Record the request, then answer it."""
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        path = urlsplit(self.path).path
        with LOCK:
            seen = sum(r["path"] == path for r in RECORDED)
            RECORDED.append(
                {
                    "path": path,
                    "headers": list(self.headers.items()),
                    "body": body.decode("utf-8", "replace"),
                    "at": time.time(),
                }
            )
        parts = path.strip("/").split("/")
        kind = parts[0]
        if kind == "ok":
            self._answer(200, "ok")
        elif kind == "fail":
            self._answer(
                500 if seen < int(parts[1]) else 200, "boom" if seen < int(parts[1]) else "ok"
            )
        elif kind == "status":
            self._answer(int(parts[1]), f"status {parts[1]}")
        elif kind == "redirect":
            self.send_response(302)
            self.send_header("Location", "/ok/" + "/".join(parts[1:]))
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif kind == "hang":
            time.sleep(30)
        else:
            self._answer(404, "no such path")

    def do_GET(self):  # noqa: N802 - http.server's name
        """Return the recorded requests as JSON."""
        query = parse_qs(urlsplit(self.path).query)
        wanted = query.get("path", [None])[0]
        with LOCK:
            rows = [r for r in RECORDED if wanted is None or r["path"] == wanted]
        self._answer(200, json.dumps(rows), "application/json")

    def _answer(self, status: int, text: str, content_type: str = "text/plain") -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        """Keep quiet: the tests read /requests instead."""


def main() -> None:
    """Serve on a free port until killed, printing the port first."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
