"""A stand-in for Django behind nginx in tests/core/test_deploy_files.py: /media/ answers as the
media view does with MEDIA_SENDFILE=nginx (X-Accel-Redirect when allowed, 404 otherwise), and
/echo shows the headers nginx forwarded."""

import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

ALLOWED = {"/media/cases/photo.jpg"}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path in ALLOWED:
            self.send_response(200)
            self.send_header("X-Accel-Redirect", "/_protected/" + self.path.removeprefix("/media/"))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/echo":
            body = (
                f"proto={self.headers['X-Forwarded-Proto']} host={self.headers['Host']} "
                f"for={self.headers['X-Forwarded-For']}"
            ).encode()
            self.send_response(200)
        else:
            body = b"not found"
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
