"""The test suite's settings: base plus what makes tests fast and deterministic."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")
# The suite runs eager unless a test asks for the real broker (see tests/conftest.py).
os.environ.setdefault("CELERY_BROKER_URL", "")

from .base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = (  # noqa: F405
    "django.contrib.staticfiles.storage.StaticFilesStorage"
)
KAM_ALLOW_DEMO_DATA = True

# An in-memory SQLite database is one connection shared by every thread, so the browser
# tests' live server interleaves the savepoints of concurrent requests. A file gives each
# thread its own connection, as PostgreSQL does.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}  # noqa: F405
