"""The Content-Security-Policy: sent on every page, strict for scripts; and no template
holds what it would block (inline scripts, event handler attributes, javascript: URLs)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django_celery_beat.models import CrontabSchedule

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"(?<![\w-])on[a-z]+\s*=", re.IGNORECASE)
HTMX_HANDLER = re.compile(r"\bhx-on\b", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"javascript\s*:", re.IGNORECASE)


def templates() -> list[Path]:
    return sorted(path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html"))


def what_csp_blocks(source: str) -> list[str]:
    found = []
    for match in SCRIPT_TAG.finditer(source):
        attributes = match.group(1)
        if re.search(r"\bsrc\s*=", attributes):
            continue
        if re.search(r"""\btype\s*=\s*["']application/json["']""", attributes):
            continue
        found.append(match.group(0))
    found += [m.group(0) for m in HANDLER_ATTRIBUTE.finditer(source)]
    found += [m.group(0) for m in HTMX_HANDLER.finditer(source)]
    found += [m.group(0) for m in JAVASCRIPT_URL.finditer(source)]
    return found


def test_the_scan_finds_what_the_policy_blocks():
    for blocked in (
        "<script>alert(1)</script>",
        '<script type="module">x()</script>',
        "<form onsubmit=\"return confirm('?')\">",
        '<select id="x" onchange="this.form.submit()">',
        '<button hx-on:click="x()">',
        '<a href="javascript:void(0)">',
    ):
        assert what_csp_blocks(blocked), blocked
    for allowed in (
        '<script src="/static/js/behaviours.js"></script>',
        '<script id="chart" type="application/json">{"on": 1}</script>',
        '<form data-confirm="Delete?" action="/x/">',
        '<div class="section" data-action="x" aria-label="Notes on the plan">',
    ):
        assert not what_csp_blocks(allowed), allowed


def test_templates_are_found():
    names = {path.name for path in templates()}
    assert {"base.html", "login.html", "print.html", "whitespace.html"} <= names


@pytest.mark.parametrize("path", templates(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_template_holds_inline_script(path):
    assert what_csp_blocks(path.read_text()) == []


def test_the_policy_is_strict_for_scripts():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]

    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in str(directives)


@pytest.mark.parametrize("url_name", ["login", "accounts:list", "admin:index"])
def test_pages_send_the_policy(admin_client, url_name):
    response = admin_client.get(reverse(url_name))

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "form-action 'self'" in policy


def test_the_locked_out_page_sends_the_policy(client, owner, settings):
    settings.AXES_FAILURE_LIMIT = 1
    response = client.post(reverse("login"), {"username": "owner", "password": "wrong"})

    assert response.status_code == 429
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_htmx_injects_no_style_element(client, db):
    html = client.get(reverse("login")).content.decode()

    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false""" in html


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:index",
        "admin:kam_user_changelist",
        "admin:kam_user_add",
        "admin:axes_accessattempt_changelist",
        "admin:django_celery_beat_periodictask_add",
    ],
)
def test_admin_pages_hold_no_inline_script(admin_client, url_name):
    response = admin_client.get(reverse(url_name))

    assert response.status_code == 200
    assert what_csp_blocks(response.content.decode()) == []


def test_the_periodic_task_form_keeps_its_crontab_words(admin_client):
    CrontabSchedule.objects.create(minute="30", hour="6")
    html = admin_client.get(reverse("admin:django_celery_beat_periodictask_add")).content.decode()

    assert '<script id="readable-crontabs" type="application/json">' in html
    assert "js/admin_periodic_task.js" in html
