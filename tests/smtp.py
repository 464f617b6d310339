"""A real SMTP server on loopback (aiosmtpd) for tests, with scripted answers."""

import socket
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """Collects delivered messages; `answers` scripts the reply to each DATA
    (e.g. ["451 try later", "250 OK"]); after the script, every mail is accepted."""

    def __init__(self, answers: list[str] | None = None) -> None:
        self.answers = list(answers or [])
        self.messages: list[Message] = []
        self.attempts = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        self.attempts += 1
        if self.answers:
            answer = self.answers.pop(0)
            if not answer.startswith("250"):
                return answer
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(answers: list[str] | None = None):
    inbox = Inbox(answers)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def text_of(message: Message) -> str:
    """All text parts of a message, decoded."""
    parts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(
                part.get_payload(decode=True).decode(
                    part.get_content_charset() or "utf-8"
                )
            )
    return "\n".join(parts)
