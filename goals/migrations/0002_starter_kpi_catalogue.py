"""The starter KPI catalogue: the key figures of "Ziele im Key Account Management".

Administrators may rename, reorder or deactivate these afterwards. The values are literals
rather than the model's enums, so this migration keeps meaning what it meant when the
models change.

How the roll-up is chosen:
- sum for flows, amounts that accrue month by month (revenue, hours, costs, events);
- last value for stocks, a state at the end of the period (a share held, a count of what
  is in place); summing or averaging month-end states would overstate or lag them;
- average for rates and ratings observed in each month, where every observation speaks
  for the period.

Units are limited to currency, percent, count, hours and rating. "percent" is in
percentage points and may be negative; "rating" is the 1-5 scale of qualitative goals.
"computed" KPIs are filled by the app from its own data (whitespace matrix, stakeholders
and interactions, measures); the rest are entered by hand, imported or pushed by the API.
"""

from django.db import migrations

STARTER_CATALOGUE = [
    {
        # Flow; the base of every plan.
        "code": "revenue",
        "name_en": "Revenue",
        "name_de": "Umsatz",
        "unit": "currency",
        "direction": "higher",
        "rollup": "sum",
        "source": "entered",
        "description": "Net revenue with the account, from the ERP.",
    },
    {
        # Flow, like revenue; from controlling/ERP, not derivable in the app.
        "code": "contribution_margin",
        "name_en": "Contribution margin",
        "name_de": "Deckungsbeitrag",
        "unit": "currency",
        "direction": "higher",
        "rollup": "sum",
        "source": "entered",
        "description": "Revenue less variable costs for the account.",
    },
    {
        # A share held: a state, so the latest estimate stands for the period. Entered,
        # because the customer's total demand is an estimate the app does not hold.
        "code": "share_of_wallet",
        "name_en": "Share of wallet",
        "name_de": "Share of Wallet",
        "unit": "percent",
        "direction": "higher",
        "rollup": "last",
        "source": "entered",
        "description": "Our share of the account's total demand in our categories.",
    },
    {
        # Vertical market position: a state, from market studies, so last value, entered.
        "code": "market_share",
        "name_en": "Market share",
        "name_de": "Marktanteil",
        "unit": "percent",
        "direction": "higher",
        "rollup": "last",
        "source": "entered",
        "description": "Our share in the account's market (vertical market position).",
    },
    {
        # Selling dimension 1: counted from the whitespace matrix at month end; a state.
        "code": "product_groups_sold",
        "name_en": "Product groups sold",
        "name_de": "Verkaufte Produktgruppen",
        "unit": "count",
        "direction": "higher",
        "rollup": "last",
        "source": "computed",
        "description": "Product groups sold to the account (product cross-selling).",
    },
    {
        # Selling dimension 2: counted from the whitespace matrix at month end; a state.
        "code": "sites_served",
        "name_en": "Sites served",
        "name_de": "Belieferte Standorte",
        "unit": "count",
        "direction": "higher",
        "rollup": "last",
        "source": "computed",
        "description": "Customer sites, regions or countries we supply.",
    },
    {
        # Selling dimension 3: solution and service revenue over all revenue in the
        # whitespace matrix. The matrix holds current revenue as a snapshot, so the
        # share is a state and the latest snapshot stands for the period.
        "code": "solution_revenue_share",
        "name_en": "Solution/service revenue share",
        "name_de": "Umsatzanteil Lösungen/Services",
        "unit": "percent",
        "direction": "higher",
        "rollup": "last",
        "source": "computed",
        "description": "Share of revenue from services and whole solutions (up-selling).",
    },
    {
        # Pull strategy success: each acceptance is an event, so months add up.
        "code": "new_products_accepted",
        "name_en": "New products accepted",
        "name_de": "Akzeptierte Neuprodukte",
        "unit": "count",
        "direction": "higher",
        "rollup": "sum",
        "source": "entered",
        "description": "New products and innovations the account accepted (listed).",
    },
    {
        # A rate achieved in each month (realised vs list/target price): average.
        "code": "price_realisation",
        "name_en": "Price realisation",
        "name_de": "Preisdurchsetzung",
        "unit": "percent",
        "direction": "higher",
        "rollup": "average",
        "source": "entered",
        "description": "Realised prices and conditions as a percentage of our price policy.",
    },
    {
        # Survey results on the 1-5 scale; each survey speaks for the period: average.
        "code": "customer_satisfaction",
        "name_en": "Customer satisfaction",
        "name_de": "Kundenzufriedenheit",
        "unit": "rating",
        "direction": "higher",
        "rollup": "average",
        "source": "entered",
        "description": "The account's satisfaction with us, 1 (poor) to 5 (excellent).",
    },
    {
        # NPS is % promoters minus % detractors, -100..100: percentage points, so
        # "percent", not "rating" (which is the 1-5 scale). Survey results: average.
        "code": "nps",
        "name_en": "Net Promoter Score",
        "name_de": "Net Promoter Score",
        "unit": "percent",
        "direction": "higher",
        "rollup": "average",
        "source": "entered",
        "description": "Promoters minus detractors among the account's contacts, -100 to 100.",
    },
    {
        # Qualitative goal on the 1-5 scale, assessed per period: average.
        "code": "care_quality",
        "name_en": "Care quality",
        "name_de": "Betreuungsqualität",
        "unit": "rating",
        "direction": "higher",
        "rollup": "average",
        "source": "entered",
        "description": "Quality of account care, 1 (poor) to 5 (excellent).",
    },
    {
        # Hours spent are a flow, and KAM aims to minimise them: lower is better.
        "code": "coordination_effort",
        "name_en": "Coordination effort",
        "name_de": "Koordinationsaufwand",
        "unit": "hours",
        "direction": "lower",
        "rollup": "sum",
        "source": "entered",
        "description": "Hours of coordination with the customer and between our departments.",
    },
    {
        # Key stakeholders contacted within their interval, from stakeholders and
        # interactions at month end: a state, so last value.
        "code": "contact_coverage",
        "name_en": "Contact coverage",
        "name_de": "Kontaktabdeckung",
        "unit": "percent",
        "direction": "higher",
        "rollup": "last",
        "source": "computed",
        "description": "Share of stakeholders contacted within their desired interval.",
    },
    {
        # Costs of the measures in the action plan: a flow; within the expense limit,
        # lower is better.
        "code": "action_plan_cost",
        "name_en": "Action-plan cost",
        "name_de": "Maßnahmenkosten",
        "unit": "currency",
        "direction": "lower",
        "rollup": "sum",
        "source": "computed",
        "description": "Costs of the measures in the account's action plan.",
    },
]


def load_starter_catalogue(apps, schema_editor):
    KPIDefinition = apps.get_model("goals", "KPIDefinition")
    for order, entry in enumerate(STARTER_CATALOGUE, start=1):
        defaults = {key: value for key, value in entry.items() if key != "code"}
        KPIDefinition.objects.update_or_create(
            code=entry["code"], defaults={**defaults, "order": order * 10, "active": True}
        )


def remove_starter_catalogue(apps, schema_editor):
    KPIDefinition = apps.get_model("goals", "KPIDefinition")
    KPIDefinition.objects.filter(code__in=[entry["code"] for entry in STARTER_CATALOGUE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("goals", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load_starter_catalogue, remove_starter_catalogue),
    ]
