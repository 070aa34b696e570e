"""Logging helpers referenced from settings.LOGGING."""

import logging


class WithoutTraceback(logging.Filter):
    """Keep the record's message, drop its traceback: for expected, noisy errors such as a
    request with a Host header that is not allowed (one line each, not thirty)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True
