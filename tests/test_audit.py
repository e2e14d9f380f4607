"""The audit history: every audited model's changes as entries with who, old and new; the
account's history tab and the audit page, who may read them, filters, imports and runs as
one entry each, and a fixed number of queries however many entries there are."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from controlling.models import Actual, ControllingRun, RunKind, Threshold
from controlling.services import runs
from controlling.services.imports import ImportRow, actuals_import_apply, actuals_import_rollback
from kam import audit
from tests import factories

D = Decimal
APR = datetime.date(2027, 4, 1)
MAY = datetime.date(2027, 5, 1)
JUN = datetime.date(2027, 6, 1)


def entries(**filters) -> list[audit.AuditEntry]:
    with translation.override("en"):  # a request in German before leaves German active
        return audit.audit_entries(list(audit.audit_rows(**filters)))


def only_change(entry: audit.AuditEntry) -> tuple[str, str, str]:
    assert len(entry.changes) == 1, entry.changes
    change = entry.changes[0]
    return change.label, change.old, change.new


def edit(obj, user, **values):
    """Change `obj` as `user` would through a form (HistoryRequestMiddleware sets the user of
    a request; `_history_user` does so outside one)."""
    for name, value in values.items():
        setattr(obj, name, value)
    obj._history_user = user
    obj.save()


def make_threshold():
    return Threshold.objects.create(
        kpi=factories.revenue_kpi(), at_risk_percent=10, off_track_percent=20
    )


# (make the object, field, new value, label, old shown, new shown)
EDITS = {
    "accounts.keyaccount": (
        lambda: factories.KeyAccountFactory(name="Old GmbH"),
        "name",
        "New GmbH",
        ("name", "Old GmbH", "New GmbH"),
    ),
    "accounts.accountteammember": (
        lambda: factories.TeamMemberFactory(role="technical"),
        "role",
        "sales",
        ("role on the team", "Application engineering", "Sales support"),
    ),
    "accounts.site": (
        lambda: factories.SiteFactory(city="Bremen"),
        "city",
        "Hamburg",
        ("city", "Bremen", "Hamburg"),
    ),
    "accounts.stakeholder": (
        lambda: factories.StakeholderFactory(influence=3),
        "influence",
        5,
        ("influence", "3", "5"),
    ),
    "accounts.interaction": (
        lambda: factories.InteractionFactory(summary="Review"),
        "summary",
        "Annual review",
        ("summary", "Review", "Annual review"),
    ),
    "accounts.marketstage": (
        lambda: factories.MarketStageFactory(name="OEMs"),
        "name",
        "Machine builders",
        ("name", "OEMs", "Machine builders"),
    ),
    "goals.accountplan": (
        lambda: factories.AccountPlanFactory(narrative=""),
        "narrative",
        "Growing",
        ("Where are we?", "–", "Growing"),
    ),
    "goals.swotitem": (
        lambda: factories.SwotItemFactory(impact=3),
        "impact",
        5,
        ("impact", "3", "5"),
    ),
    "goals.goal": (
        lambda: factories.GoalFactory(title="Grow"),
        "title",
        "Grow more",
        ("title", "Grow", "Grow more"),
    ),
    "goals.monthlytarget": (
        lambda: factories.MonthlyTargetFactory(value=D("100.00")),
        "value",
        D("250.00"),
        ("target", "100.00", "250.00"),
    ),
    "goals.measure": (
        lambda: factories.MeasureFactory(title="Fair"),
        "title",
        "Trade fair",
        ("title", "Fair", "Trade fair"),
    ),
    "goals.sellingposition": (
        lambda: factories.SellingPositionFactory(probability=50),
        "probability",
        80,
        ("probability (%)", "50", "80"),
    ),
    "goals.kpidefinition": (
        factories.revenue_kpi,
        "name_en",
        "Net revenue",
        ("name (English)", "Revenue", "Net revenue"),
    ),
    "goals.goaltemplateset": (
        lambda: factories.GoalTemplateSetFactory(name="Standard"),
        "name",
        "Key standard",
        ("name", "Standard", "Key standard"),
    ),
    "goals.goaltemplate": (
        lambda: factories.GoalTemplateFactory(title="Growth"),
        "title",
        "Revenue growth",
        ("title", "Growth", "Revenue growth"),
    ),
    "goals.framerule": (
        lambda: factories.FrameRuleFactory(note=""),
        "note",
        "Strategy 2027",
        ("reason", "–", "Strategy 2027"),
    ),
    "controlling.actual": (
        lambda: factories.ActualFactory(value=D("100.00")),
        "value",
        D("90.00"),
        ("actual", "100.00", "90.00"),
    ),
    "controlling.threshold": (
        make_threshold,
        "at_risk_percent",
        5,
        ("at risk from (percent short)", "10.00", "5.00"),
    ),
}


def test_every_audited_model_has_an_edit_test():
    assert set(EDITS) == {source.key for source in audit.sources()}


@pytest.mark.parametrize("key", EDITS)
def test_an_edit_is_an_entry_with_who_old_and_new(db, key, owner, settings):
    settings.USE_THOUSAND_SEPARATOR = False
    make, name, value, expected = EDITS[key]
    obj = make()
    edit(obj, owner, **{name: value})

    entry = entries(keys=[key])[0]

    assert entry.action == "changed"
    assert entry.user == owner
    assert only_change(entry) == expected
    assert entry.object_label


def test_a_deletion_is_an_entry(account, owner):
    site = factories.SiteFactory(account=account, name="Bremen plant")
    site._history_user = owner
    site.delete()

    entry = entries(keys=["accounts.site"])[0]

    assert (entry.action, entry.user, entry.object_label) == (
        "deleted",
        owner,
        "Site “Bremen plant”",
    )


# --- through the app: the request's user is recorded ------------------------------------------


def test_an_account_edited_through_the_app_is_in_its_history_tab(client, owner, account):
    client.force_login(owner)
    data = {
        "name": "Nordwerk Antriebe AG",
        "customer_number": account.customer_number,
        "industry": account.industry,
        "tier": account.tier,
        "parent": "",
        "country": "DE",
        "currency": "EUR",
        "status": "active",
        "attractiveness": "60",
        "relative_strength": "40",
    }
    client.post(reverse("accounts:edit", args=[account.pk]), data)
    site_url = reverse("accounts:site_create", args=[account.pk])
    client.post(site_url, {"name": "Linz", "city": "Linz", "region": "", "country": "AT"})

    response = client.get(reverse("accounts:history", args=[account.pk]))

    page = response.content.decode()
    entry = entries(keys=["accounts.keyaccount"])[0]
    assert entry.user == owner
    assert only_change(entry) == ("name", "Nordwerk Antriebe", "Nordwerk Antriebe AG")
    assert "Nordwerk Antriebe AG" in page
    assert "Site “Linz”" in page
    assert page.count('data-action="changed"') == 1


# --- the account's history tab ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 200), ("team_member", 200), ("leadership", 200), ("administrator", 200)]
    + [("outsider", 404)],
)
def test_the_history_tab_follows_the_account_s_visibility(
    client, login_as, account, persona, status
):
    login_as(persona)
    response = client.get(reverse("accounts:history", args=[account.pk]))
    assert response.status_code == status


def test_the_history_tab_shows_only_its_account(client, owner, account, outsider):
    other = factories.KeyAccountFactory(owner=outsider)
    edit(factories.SiteFactory(account=account, name="Ours"), owner, city="Kiel")
    edit(factories.SiteFactory(account=other, name="Theirs"), outsider, city="Ulm")
    template = factories.GoalTemplateSetFactory(name="Set")
    edit(template, owner, name="Other set")
    client.force_login(owner)

    page = client.get(reverse("accounts:history", args=[account.pk])).content.decode()

    assert "Site “Ours”" in page
    assert "Theirs" not in page
    assert "Other set" not in page


# --- the audit page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 403), ("leadership", 200), ("administrator", 200)],
)
def test_the_audit_page_is_for_leadership_and_administrators(client, login_as, persona, status):
    login_as(persona)
    assert client.get(reverse("audit:list")).status_code == status


def test_anonymous_visitors_are_sent_to_the_login(db, client):
    response = client.get(reverse("audit:list"))
    assert response.status_code == 302


@pytest.fixture
def changes(account, owner, team_member, outsider):
    other = factories.KeyAccountFactory(owner=outsider, name="Meridian")
    edit(factories.SiteFactory(account=account, name="Bremen"), owner, city="Kiel")
    edit(factories.StakeholderFactory(account=account, name="Ada"), team_member, influence=5)
    edit(factories.SiteFactory(account=other, name="Porto"), outsider, city="Lisbon")
    edit(factories.GoalTemplateSetFactory(name="Standard"), outsider, name="Key set")
    return other


def audit_page(client, **params) -> str:
    return client.get(reverse("audit:list"), params).content.decode()


def test_the_audit_page_lists_every_change_newest_first(client, leadership, changes):
    client.force_login(leadership)
    page = audit_page(client)
    assert page.index("Key set") < page.index("Lisbon") < page.index("Kiel")
    assert "Ada" in page


def test_the_audit_page_filters_by_kind_user_account_and_date(
    client, leadership, account, team_member, changes
):
    client.force_login(leadership)

    by_kind = audit_page(client, kind="goals.goaltemplateset")
    by_user = audit_page(client, user=team_member.pk)
    by_account = audit_page(client, account=account.pk)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    later = audit_page(client, since=tomorrow.isoformat())
    today = audit_page(client, until=timezone.localdate().isoformat())

    assert "Key set" in by_kind and "Kiel" not in by_kind
    assert "Ada" in by_user and "Kiel" not in by_user
    assert "Kiel" in by_account and "Ada" in by_account
    assert "Lisbon" not in by_account and "Key set" not in by_account
    assert "No changes recorded yet." in later
    assert "Kiel" in today and "Key set" in today


def test_the_audit_page_pages_by_fifty(client, leadership, owner):
    site = factories.SiteFactory(city="c0")
    for number in range(1, 60):
        edit(site, owner, city=f"c{number}")
    client.force_login(leadership)

    first = audit_page(client, kind="accounts.site")
    second = audit_page(client, kind="accounts.site", page=2)

    assert first.count("data-action=") == 50
    assert second.count("data-action=") == 10  # 59 changes and the creation
    assert "Page 2 of 2" in second


# --- bulk writes: one entry per import, rollback and run --------------------------------------


def test_an_import_and_its_rollback_are_one_entry_each(client, leadership, owner, account):
    kpi = factories.revenue_kpi()
    rows = [
        ImportRow(row_number=2 + i, account_id=account.pk, kpi_id=kpi.pk, month=m, value=D("5"))
        for i, m in enumerate([APR, MAY, JUN])
    ]
    actual_import = actuals_import_apply(file_name="erp.csv", rows=rows, user=owner)
    actuals_import_rollback(actual_import=actual_import, user=owner)
    client.force_login(leadership)

    page = audit_page(client, kind="controlling.actual")
    tab = client.get(reverse("accounts:history", args=[account.pk])).content.decode()

    assert page.count('data-action="batch"') == 2
    assert page.count("data-action=") == 2
    assert f"Import {actual_import.pk} (erp.csv): 3 actuals" in page
    assert f"Rollback of import {actual_import.pk} (erp.csv): 3 actuals" in page
    assert f"Import {actual_import.pk} (erp.csv): 3 actuals" in tab
    batch = entries(keys=["controlling.actual"])[-1]
    assert (batch.user, batch.count) == (owner, 3)


def test_a_run_s_computed_actuals_are_one_entry(
    client, leadership, django_capture_on_commit_callbacks
):
    accounts = [factories.KeyAccountFactory() for _ in range(3)]
    for account in accounts:
        factories.StakeholderFactory(account=account)
    with django_capture_on_commit_callbacks(execute=True):
        runs.run_start(kind=RunKind.NIGHTLY)
    run = ControllingRun.objects.get()
    computed = Actual.objects.filter(source="computed").count()
    assert computed >= 3
    client.force_login(leadership)

    page = audit_page(client, kind="controlling.actual")

    assert page.count("data-action=") == 1
    assert f"Controlling run {run.pk}: {computed} computed actuals" in page


def test_a_hand_entry_stays_one_entry_per_actual(db, owner):
    actual = factories.ActualFactory(value=D("1"))
    edit(actual, owner, value=D("2"))
    assert [entry.action for entry in entries(keys=["controlling.actual"])] == [
        "changed",
        "created",
    ]


# --- a fixed number of queries ------------------------------------------------------------------


def grow(account, owner, number: int) -> None:
    """`number` changes of every kind on the account, and configuration changes."""
    for index in range(number):
        edit(factories.SiteFactory(account=account), owner, city=f"City {index}")
        edit(factories.StakeholderFactory(account=account), owner, influence=5)
        edit(factories.SellingPositionFactory(account=account), owner, probability=70)
        goal = factories.GoalFactory(plan=factories.AccountPlanFactory(account=account))
        edit(factories.MonthlyTargetFactory(goal=goal), owner, value=D("1.00"))
        month = datetime.date(2027, index + 1, 1)
        edit(factories.ActualFactory(account=account, month=month), owner, value=D("3"))
        edit(factories.GoalTemplateFactory(), owner, title=f"Template {index}")


@pytest.mark.parametrize("number", [1, 8])
def test_the_history_tab_costs_a_fixed_number_of_queries(
    client, owner, account, number, django_assert_max_num_queries
):
    grow(account, owner, number)
    client.force_login(owner)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("accounts:history", args=[account.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("number", [1, 8])
def test_the_audit_page_costs_a_fixed_number_of_queries(
    client, leadership, account, owner, number, django_assert_max_num_queries
):
    grow(account, owner, number)
    client.force_login(leadership)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("audit:list"))
    assert response.status_code == 200


def test_the_history_speaks_german(client, settings, owner, account):
    kpi = factories.revenue_kpi()
    rows = [ImportRow(row_number=2, account_id=account.pk, kpi_id=kpi.pk, month=APR, value=D("5"))]
    actual_import = actuals_import_apply(file_name="erp.csv", rows=rows, user=owner)
    edit(factories.SiteFactory(account=account, name="Linz"), owner, city="Wels")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    client.force_login(owner)

    page = client.get(reverse("accounts:history", args=[account.pk])).content.decode()

    assert "Änderungen" in page
    assert f"Import {actual_import.pk} (erp.csv): 1 Istwert" in page
    assert "Standort „Linz“" in page


def test_an_import_of_selling_positions_is_one_entry(owner, account):
    from goals.services.selling_io import COLUMNS, selling_positions_import

    account.customer_number = "K-1"
    account.save()
    factories.OfferingFactory(code="gear_motors")
    factories.OfferingFactory(code="couplings")
    lines = [";".join(COLUMNS), "K-1;;gear_motors;sold;;;;0;;;", "K-1;;couplings;sold;;;;0;;;"]
    result = selling_positions_import(
        name="positions.csv", content="\n".join(lines).encode(), user=owner
    )
    assert result.written

    found = entries(keys=["goals.sellingposition"])

    assert [(e.action, e.user, e.count, e.object_label) for e in found] == [
        ("batch", owner, 2, "Import of selling positions (positions.csv): 2 positions")
    ]


def test_configuration_shows_its_history_on_its_admin_page(client, administrator):
    kpi = factories.revenue_kpi()
    edit(kpi, administrator, name_en="Net revenue")
    client.force_login(administrator)

    page = client.get(reverse("admin:goals_kpidefinition_history", args=[kpi.pk]))

    record = kpi.history.latest()
    assert page.status_code == 200
    assert f"history/{record.history_id}/" in page.content.decode()
