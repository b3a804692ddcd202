"""A small real SMTP server on 127.0.0.1 for tests (EHLO, AUTH PLAIN, MAIL, RCPT, DATA).

Why our own: it must be able to misbehave on purpose — refuse a login and quote the
password back, as careless servers do — to prove bantin never stores what it is told.
"""

from __future__ import annotations

import base64
import email
import email.policy
import socketserver
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from types import TracebackType


@dataclass
class Mailbox:
    user: str | None = None
    password: str | None = None
    echo_credentials: bool = False
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


class _Handler(socketserver.StreamRequestHandler):
    box: Mailbox

    def reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode("utf-8"))
        self.wfile.flush()

    def readline(self) -> str | None:
        raw = self.rfile.readline(65536)
        return raw.decode("utf-8", "replace").rstrip("\r\n") if raw else None

    def handle(self) -> None:
        box = self.server.box  # type: ignore[attr-defined]
        self.reply("220 test ESMTP")
        sender, rcpts, authed = "", [], box.user is None
        while (line := self.readline()) is not None:
            verb = line.split(" ", 1)[0].upper()
            arg = line[len(verb) :].strip()
            if verb in ("EHLO", "HELO"):
                self.reply("250-test")
                self.reply("250 AUTH PLAIN" if box.user else "250 OK")
            elif verb == "AUTH":
                authed = self.auth(box, arg)
            elif verb == "MAIL":
                if not authed:
                    self.reply("530 5.7.0 Authentication required")
                    continue
                sender, rcpts = arg.partition(":")[2].strip("<> "), []
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpts.append(arg.partition(":")[2].strip("<> "))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                body = []
                while (data := self.readline()) is not None and data != ".":
                    body.append(data[1:] if data.startswith("..") else data)
                msg = email.message_from_string("\n".join(body), policy=email.policy.default)
                box.messages.append(msg)  # type: ignore[arg-type]
                box.envelopes.append((sender, rcpts))
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("250 OK")

    def auth(self, box: Mailbox, arg: str) -> bool:
        mech, _, initial = arg.partition(" ")
        if mech.upper() != "PLAIN":
            self.reply("504 5.5.4 Unrecognized authentication type")
            return False
        if not initial:
            self.reply("334 ")
            initial = self.readline() or ""
        _, user, password = base64.b64decode(initial).decode("utf-8").split("\0")
        if user == box.user and password == box.password:
            box.logins.append(user)
            self.reply("235 2.7.0 Authentication successful")
            return True
        said = f" for {user}:{password}" if box.echo_credentials else ""
        self.reply(f"535 5.7.8 Authentication failed{said}")
        return False


class SMTPServer:
    """`with SMTPServer(user=…, password=…) as smtp:` then `smtp.port`, `smtp.box.messages`."""

    def __init__(
        self, user: str | None = None, password: str | None = None, echo: bool = False
    ) -> None:
        self.box = Mailbox(user, password, echo)
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.box = self.box  # type: ignore[attr-defined]
        self.port: int = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SMTPServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
