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
