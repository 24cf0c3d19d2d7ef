import email
import socket

import pytest
from aiosmtpd.controller import Controller


class RecordingHandler:
    """An SMTP server's message handler that keeps every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    @property
    def recipients(self):
        return sorted(to for tos, _ in self.messages for to in tos)

    @property
    def subjects(self):
        return sorted(message["Subject"] for _, message in self.messages)


@pytest.fixture
def free_port():
    """A local TCP port where nothing listens (until a test starts a server on it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def start_smtp_server():
    """Start a real SMTP server (aiosmtpd) on a port; stopped after the test."""
    controllers = []

    def start(port):
        handler = RecordingHandler()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return handler

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp_server(start_smtp_server, free_port):
    handler = start_smtp_server(free_port)
    handler.port = free_port
    return handler
