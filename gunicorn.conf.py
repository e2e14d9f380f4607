"""gunicorn reads this file from the working directory (the checkout) at start: its own lines
(start, workers, errors) and the access log come out in the app's log format (kam.logs)."""

import os

from kam.logs import logging_config

_level = os.environ.get("DJANGO_LOG_LEVEL", "INFO")
logconfig_dict = logging_config(
    log_format=os.environ.get("KAM_LOG_FORMAT", "text"), level=_level
) | {
    "loggers": {
        name: {"level": level, "handlers": ["console"], "propagate": False}
        for name, level in (("gunicorn.error", _level), ("gunicorn.access", "INFO"))
    }
}
