"""Every process logs one line per record with time, level and logger: the web processes
through Django's LOGGING, Celery workers and beat through the same configuration, as text
or, with KAM_LOG_FORMAT=json, as JSON.

Each test configures logging in a fresh interpreter, as a process does when it starts."""

import json
import logging
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from kam.logs import JsonFormatter

BASE_DIR = Path(__file__).resolve().parent.parent
UTC_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00"
TEXT_LINE = re.compile(rf"^{UTC_TIME} WARNING kam\.probe stock at 3 units$", re.M)

DJANGO = (
    "import django, logging; django.setup(); "
    "logging.getLogger('kam.probe').warning('stock at %s units', 3)"
)
# What a worker does at start: Celery sets up logging, then its loggers write.
CELERY_WORKER = (
    "import django, logging; django.setup(); from kam.celery import app; "
    "app.log.setup(loglevel='INFO', redirect_stdouts=False); "
    "logging.getLogger('celery.worker').info('ready'); "
    "logging.getLogger('kam.probe').warning('stock at %s units', 3)"
)


def stderr_of(code: str, **env: str) -> str:
    environment = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "kam.settings.test",
        "DJANGO_LOG_LEVEL": "INFO",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_a_record_carries_time_level_and_logger():
    assert TEXT_LINE.search(stderr_of(DJANGO))


def test_with_the_json_format_each_record_is_one_json_object_with_the_same_fields():
    lines = stderr_of(DJANGO, KAM_LOG_FORMAT="json").splitlines()

    entry = json.loads(lines[-1])
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "kam.probe"
    assert entry["message"] == "stock at 3 units"
    assert re.fullmatch(UTC_TIME, entry["time"])


def test_an_unknown_format_stops_the_process_with_the_variable_named():
    result = subprocess.run(
        [sys.executable, "-c", DJANGO],
        cwd=BASE_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "kam.settings.test",
            "KAM_LOG_FORMAT": "xml",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "KAM_LOG_FORMAT must be one of text, json" in result.stderr


def test_celery_workers_log_in_the_same_format():
    output = stderr_of(CELERY_WORKER)

    assert re.search(rf"^{UTC_TIME} INFO celery\.worker ready$", output, re.M)
    assert TEXT_LINE.search(output)


def test_celery_workers_log_json_too():
    lines = stderr_of(CELERY_WORKER, KAM_LOG_FORMAT="json").splitlines()

    assert [json.loads(line)["logger"] for line in lines[-2:]] == ["celery.worker", "kam.probe"]


def test_the_json_formatter_keeps_the_traceback():
    try:
        raise ValueError("bad row")
    except ValueError:
        record = logging.LogRecord(
            "kam.probe", logging.ERROR, __file__, 1, "import failed", None, sys.exc_info()
        )

    entry = json.loads(JsonFormatter().format(record))

    assert entry["message"] == "import failed"
    assert "ValueError: bad row" in entry["exception"]


def test_gunicorn_logs_its_own_lines_and_the_access_log_in_the_same_format(tmp_path):
    """gunicorn.conf.py in the checkout, which gunicorn reads from its working directory."""
    environment = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "kam.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "kam.wsgi", "--bind", "127.0.0.1:0"]
            + ["--workers", "1", "--access-logfile", "-", "--no-control-socket"],
            cwd=BASE_DIR,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while not (address := re.search(r"Listening at: (http://\S+)", log.read_text())):
            assert time.monotonic() < deadline and server.poll() is None, log.read_text()
            time.sleep(0.1)
        request = urllib.request.Request(f"{address[1]}/health/", headers={"Host": "localhost"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(timeout=20)

    text = log.read_text()
    assert re.search(rf"^{UTC_TIME} INFO gunicorn\.error Listening at: ", text, re.M), text
    assert re.search(rf'^{UTC_TIME} INFO gunicorn\.access .*"GET /health/ ', text, re.M), text
