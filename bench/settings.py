"""The dashboard benchmark's server: kam.settings.base (DEBUG off, as in production, minus the
HTTPS settings of kam.settings.production that would redirect plain HTTP), with the static
files collected into a directory of its own, since the manifest storage needs them with DEBUG
off and the project's staticfiles/ must not go stale under other work."""

import os

from kam.settings.base import *  # noqa: F403

STATIC_ROOT = os.environ.get("KAM_BENCH_STATIC_ROOT", "/tmp/kam_bench_static")
