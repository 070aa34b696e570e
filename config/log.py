"""Logging helpers referenced from settings.LOGGING and DEFAULT_EXCEPTION_REPORTER_FILTER."""

import logging

from django.views.debug import SafeExceptionReporterFilter

from config.env import redact_url


class WithoutTraceback(logging.Filter):
    """Keep the record's message, drop its traceback: for expected, noisy errors such as a
    request with a Host header that is not allowed (one line each, not thirty)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


class RedactingExceptionReporterFilter(SafeExceptionReporterFilter):
    """Settings shown in error reports (the DEBUG page, error e-mails) with every URL's password
    as ``***``: Django hides settings named like PASSWORD or KEY, not DATABASE_URL, REDIS_URL,
    CELERY_BROKER_URL or a cache's LOCATION."""

    def cleanse_setting(self, key, value):
        if (
            isinstance(key, str)
            and isinstance(value, str)
            and (key.endswith("_URL") or key == "LOCATION")
        ):
            return redact_url(value)
        return super().cleanse_setting(key, value)
