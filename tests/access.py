"""The access harness: the personas every access test asks, and how to read their answers.

The personas are fixtures in tests/conftest.py: the account's `owner` and a `team_member` on
its team, an `outsider` (a manager who does not see the account), `leadership`, an
`administrator`, and the `anonymous` visitor. The fixture `login_as(persona)` logs the test
client in as one of them (nobody for "anonymous") and `user_of(persona)` gives the user.

An access test names each persona's expected answer: a status code, or LOGIN for "sent to
the login page", which `answer(response)` reports, so one table holds all of them. The pages
of a key account and of its plans follow one rule, `account_page_answer`; `check_account_page`
asks one of them as a persona and checks the answer and what it changed.
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from django.urls import reverse

# The account team and administrators, who may change an account.
EDITORS = ("owner", "team_member", "administrator")
PERSONAS = (*EDITORS, "leadership", "outsider", "anonymous")

# The answer of a page that sends the visitor to the login first.
LOGIN = "login"


def answer(response: HttpResponse) -> int | str:
    """The response's status code, or LOGIN when it redirects to the login page."""
    if response.status_code == 302 and response.get("Location", "").startswith(reverse("login")):
        return LOGIN
    return response.status_code


def account_page_answer(persona: str, *, method: str, read: bool) -> int | str:
    """What a page of a key account (or of its plans) answers each persona: the account team
    and administrators read and write (a write redirects), leadership reads only (403 on a
    write form or a write), an outsider does not see the account at all (404), an anonymous
    visitor is sent to the login. `read`: the page only shows the account."""
    if persona == "anonymous":
        return LOGIN
    if persona == "outsider":
        return 404
    if persona == "leadership" and not read:
        return 403
    return 302 if method == "post" else 200


def account_page_answers(*, method: str, read: bool) -> list[tuple[str, int | str]]:
    """(persona, answer) for every persona on one page of a key account: a parametrisation."""
    return [(p, account_page_answer(p, method=method, read=read)) for p in PERSONAS]


def check_account_page(
    persona: str,
    ask: Callable[[], HttpResponse],
    *,
    method: str,
    read: bool,
    snapshot: Callable[[], Any],
) -> None:
    """Ask a page of a key account as the persona (logged in already) and check it answers as
    `account_page_answer` says; a write the persona may make changes the data (`snapshot`),
    and nothing a persona who may not write asks changes it."""
    before = snapshot()
    assert answer(ask()) == account_page_answer(persona, method=method, read=read)
    if persona not in EDITORS:
        assert snapshot() == before
    elif method == "post":
        assert snapshot() != before
