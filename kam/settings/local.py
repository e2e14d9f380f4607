"""The embedded default: SQLite, eager Celery, debug on. Never for production."""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_SECRET_KEY", "local-development-only-not-secret")

from .base import *  # noqa: E402,F403
