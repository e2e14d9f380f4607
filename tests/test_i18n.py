"""The German translation: pages and messages in German, and a complete, compiled catalogue.

The catalogue checks read the committed .po and .mo with plain Python, so they run on a
machine without GNU gettext.
"""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tests import factories

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"


# --- pages ----------------------------------------------------------------------------------


@pytest.fixture
def german(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    return client


def test_account_list_in_german(german, owner, account):
    german.force_login(owner)
    # Explicitly ordered: unordered, the annotated list makes Paginator warn (a separate bug).
    html = german.get(reverse("accounts:list"), {"ordering": "name"}).content.decode()
    assert '<html lang="de">' in html
    assert '<h1 class="h3 mb-0">Key Accounts</h1>' in html
    assert "Neuer Key Account" in html
    assert "Kundennummer" in html
    assert "Relative Wettbewerbsposition" in html
    assert "Key account manager" not in html


def test_account_detail_tabs_in_german(german, owner, account):
    german.force_login(owner)
    html = german.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    for label in (
        "Übersicht",
        "Account-Team",
        "Standorte",
        "Buying Center",
        "Beziehungslandkarte",
        "Kontakthistorie",
        "Nachgelagerte Marktstufen",
        "Stammdaten",
    ):
        assert label in html
    assert ">Sites<" not in html


def test_account_detail_in_english_without_cookie(client, owner, account):
    client.force_login(owner)
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert '<html lang="en">' in html
    assert "Sites" in html
    assert "Relationship map" in html
    assert "Standorte" not in html


def test_choice_labels_in_german(german, owner, account):
    factories.StakeholderFactory(
        account=account, buying_role="decider", attitude="supporter", interaction_level="strategic"
    )
    german.force_login(owner)
    html = german.get(reverse("accounts:stakeholders", args=[account.pk])).content.decode()
    assert "Entscheider" in html
    assert "Befürworter" in html
    assert "Strategisch" in html


def test_validation_message_in_german(german, owner, account):
    german.force_login(owner)
    response = german.post(
        reverse("accounts:create"),
        {
            "name": "Südhafen Logistik",
            "customer_number": account.customer_number,
            "tier": "key",
            "country": "DE",
            "currency": "EUR",
            "status": "active",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Diese Kundennummer kann nicht verwendet werden." in html
    assert "This customer number cannot be used." not in html


def test_reminder_mail_in_german():
    stakeholders = [
        SimpleNamespace(
            name="Dr. Anna Berg",
            account=SimpleNamespace(name="Nordwerk Antriebe"),
            last_contact=None,
            contact_interval_days=30,
        ),
        SimpleNamespace(
            name="Jens Kraft",
            account=SimpleNamespace(name="Nordwerk Antriebe"),
            last_contact=None,
            contact_interval_days=60,
        ),
    ]
    context = {"recipient": "Petra Lange", "stakeholders": stakeholders}
    with translation.override("de"):
        subject = render_to_string("accounts/email/contact_reminder_subject.txt", context)
        body = render_to_string("accounts/email/contact_reminder.txt", context)
    assert subject.strip() == "2 Key-Account-Kontakte sind überfällig"
    assert body.startswith("Guten Tag Petra Lange,")
    assert "noch nie kontaktiert" in body


# --- the catalogue --------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader: enough for what makemessages writes (no obsolete entries)."""
    entries: list[Entry] = []
    entry, key = Entry(), None

    def finish():
        nonlocal entry, key
        if key is not None:
            entries.append(entry)
        entry, key = Entry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            continue
        elif line.startswith("#,"):
            if key is not None:
                finish()
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            if key is not None:
                finish()
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if key == "msgctxt":
                entry.msgctxt += value
            elif key == "msgid":
                entry.msgid += value
            elif key == "msgid_plural":
                entry.msgid_plural += value
            else:
                entry.msgstr[key] += value
        else:
            keyword, _, rest = line.partition(" ")
            value = ast.literal_eval(rest)
            if keyword == "msgctxt":
                if key is not None:
                    finish()
                key, entry.msgctxt, entry.line = "msgctxt", value, number
            elif keyword == "msgid":
                if key not in (None, "msgctxt"):
                    finish()
                key, entry.msgid = "msgid", value
                entry.line = entry.line or number
            elif keyword == "msgid_plural":
                key, entry.msgid_plural = "msgid_plural", value
            elif keyword == "msgstr":
                key = 0
                entry.msgstr[0] = value
            elif match := re.fullmatch(r"msgstr\[(\d+)\]", keyword):
                key = int(match.group(1))
                entry.msgstr[key] = value
            else:
                raise ValueError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    entries = parse_po(PO_FILE)
    assert entries[0].msgid == ""  # the header
    return entries[1:]


def where(entry: Entry) -> str:
    return f"{PO_FILE.name}:{entry.line} {entry.msgid!r}"


def test_catalogue_complete(po_entries):
    assert len(po_entries) > 100
    untranslated = [where(e) for e in po_entries if not all(e.msgstr.values())]
    fuzzy = [where(e) for e in po_entries if "fuzzy" in e.flags]
    plural_forms = [
        where(e) for e in po_entries if e.msgid_plural is not None and sorted(e.msgstr) != [0, 1]
    ]
    assert untranslated == []
    assert fuzzy == []
    assert plural_forms == []


def test_header_declares_german_and_utf8():
    header = parse_po(PO_FILE)[0]
    assert "fuzzy" not in header.flags
    assert "Language: de\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstr[0]


PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sd]|%%")


def test_placeholders_kept(po_entries):
    wrong = []
    for entry in po_entries:
        for index, msgstr in entry.msgstr.items():
            source = entry.msgid if index == 0 or entry.msgid_plural is None else entry.msgid_plural
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(msgstr)):
                wrong.append(f"{where(entry)} -> {msgstr!r}")
    assert wrong == []


class Missing(gettext.NullTranslations):
    """Fallback that records every lookup the compiled catalogue could not answer."""

    def __init__(self):
        super().__init__()
        self.missed: list[str] = []

    def gettext(self, message):
        self.missed.append(message)
        return message

    def ngettext(self, msgid1, msgid2, n):
        self.missed.append(msgid1)
        return msgid1 if n == 1 else msgid2

    def pgettext(self, context, message):
        self.missed.append(f"{context}|{message}")
        return message

    def npgettext(self, context, msgid1, msgid2, n):
        self.missed.append(f"{context}|{msgid1}")
        return msgid1 if n == 1 else msgid2


def test_mo_matches_po(po_entries):
    """The committed .mo holds exactly the .po's translations: it was compiled after the edit."""
    with MO_FILE.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    missing = Missing()
    compiled.add_fallback(missing)
    stale = []
    for entry in po_entries:
        if entry.msgid_plural is None:
            if entry.msgctxt is None:
                got = compiled.gettext(entry.msgid)
            else:
                got = compiled.pgettext(entry.msgctxt, entry.msgid)
            if got != entry.msgstr[0]:
                stale.append(f"{where(entry)}: .mo has {got!r}")
            continue
        # Germanic plural rule: form 0 for n == 1, form 1 otherwise.
        for n, index in ((1, 0), (2, 1)):
            if entry.msgctxt is None:
                got = compiled.ngettext(entry.msgid, entry.msgid_plural, n)
            else:
                got = compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
            if got != entry.msgstr[index]:
                stale.append(f"{where(entry)}[{index}]: .mo has {got!r}")
    assert missing.missed == [], "in the .po but not in the .mo: run compilemessages"
    assert stale == [], "the .mo differs from the .po: run compilemessages"


def test_mail_templates_are_in_catalogue(po_entries):
    msgids = {e.msgid for e in po_entries}
    assert "Hello %(name)s," in msgids
    assert "%(counter)s key account contact is overdue" in msgids
    assert "last contact %(date)s, interval %(days)s days" in msgids


def test_the_user_pages_and_the_password_reset_in_german(german, administrator):
    german.force_login(administrator)
    html = german.get(reverse("users:list")).content.decode()
    assert "Neuer Benutzer" in html and "Alle Rollen" in html
    html = german.get(reverse("users:edit", args=[administrator.pk])).content.decode()
    assert "E-Mail zum Zurücksetzen des Passworts senden" in html
    german.logout()
    german.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"  # logging out empties the jar
    assert "Passwort vergessen?" in german.get(reverse("password_reset")).content.decode()
