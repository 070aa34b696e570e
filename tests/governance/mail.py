"""Mail backends for tests."""

import smtplib


class FailingBackend:
    """A mail server that refuses connections."""

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        raise smtplib.SMTPConnectError(421, "服务暂不可用")

    def close(self):
        pass

    def send_messages(self, messages):
        self.open()


class SmtpSink:
    """A real SMTP server on 127.0.0.1 (a thread per connection) that keeps what it accepted:
    ``accepted`` is the list of (Message-ID, recipient) in order, appended only when the
    message's final ``.`` has been answered 250, the moment a sender counts it as delivered.
    Recipients in ``refuse`` are answered ``550`` (a permanent refusal)."""

    def __init__(self, refuse=()):
        import socketserver
        import threading

        self.refuse = {a.lower() for a in refuse}
        self.accepted: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                sink._session(self.rfile, self.wfile)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def count(self) -> int:
        with self.lock:
            return len(self.accepted)

    def _session(self, rfile, wfile):
        def reply(line: str) -> None:
            wfile.write(line.encode() + b"\r\n")
            wfile.flush()

        reply("220 sink ESMTP")
        rcpts: list[str] = []
        while True:
            line = rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                reply("250 sink")
            elif verb == b"MAIL":
                rcpts = []
                reply("250 OK")
            elif verb == b"RCPT":
                address = line.decode().split(":", 1)[1].strip().strip("<>").lower()
                if address in self.refuse:
                    reply("550 5.1.1 mailbox unavailable")
                else:
                    rcpts.append(address)
                    reply("250 OK")
            elif verb == b"DATA":
                reply("354 go ahead")
                message_id = ""
                while True:
                    data = rfile.readline()
                    if not data:
                        return  # the sender died mid-message: nothing accepted
                    if data in (b".\r\n", b".\n"):
                        break
                    if not message_id and data.lower().startswith(b"message-id:"):
                        message_id = data.split(b":", 1)[1].strip().decode()
                with self.lock:
                    for address in rcpts:
                        self.accepted.append((message_id, address))
                reply("250 OK queued")
            elif verb == b"RSET" or verb == b"NOOP":
                reply("250 OK")
            elif verb == b"QUIT":
                reply("221 bye")
                return
            else:
                reply("502 not implemented")
