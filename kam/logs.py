"""Log output: one line per record with time, level and logger, as text or as JSON.

The LOGGING setting (kam/settings/base.py) picks the format by KAM_LOG_FORMAT; Celery workers
and beat use the same setting (kam/celery.py), so every process logs alike.
"""

import json
import logging
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
FORMATS = ("text", "json")


def utc_time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """TEXT_FORMAT, with the time in UTC and saying so: gunicorn's master runs in the
    machine's time zone, Django's processes in DJANGO_TIME_ZONE, and their lines meet in one
    log."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return utc_time(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors that parse fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": utc_time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(*, log_format: str, level: str) -> dict:
    """The dictConfig for LOGGING: everything to the console (standard error) in one format."""
    if log_format not in FORMATS:
        raise ValueError(f"KAM_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "text": {"()": "kam.logs.TextFormatter", "format": TEXT_FORMAT},
            "json": {"()": "kam.logs.JsonFormatter"},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": log_format}},
        "root": {"handlers": ["console"], "level": level},
    }
