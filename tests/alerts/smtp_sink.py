"""A tiny SMTP server on 127.0.0.1 (an ephemeral port) that keeps what it receives, for alert tests.

Why not aiosmtpd: it is not a dependency, and the alerts need only the plain dialogue smtplib speaks
(EHLO, MAIL, RCPT, DATA, QUIT) without TLS or login. Each message is parsed with the standard ``email``
package, so a test reads the subject and body as a mail client would.
"""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 smtp-sink ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 smtp-sink")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                self.server.keep(self._data())
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")

    def _data(self) -> bytes:
        lines = []
        while True:
            line = self.rfile.readline()
            if line in (b".\r\n", b".\n", b""):
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b"..") else line)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    def keep(self, raw: bytes) -> None:
        message = message_from_bytes(raw, policy=policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]


class SmtpSink:
    """``with SmtpSink() as smtp:`` serves on ``smtp.port``; ``smtp.messages`` are the received e-mails."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def messages(self) -> list[EmailMessage]:
        return list(self._server.messages)

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
