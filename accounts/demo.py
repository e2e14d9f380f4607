"""Demo key accounts for `load_demo`: two managers' portfolios with sites, buying centres,
contacts, downstream markets and portfolio scorings. Idempotent: rows are matched by their
natural keys, and an account that has a scoring is not scored again."""

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from .models import (
    AccountTeamMember,
    Interaction,
    KeyAccount,
    MarketStage,
    PortfolioAxis,
    PortfolioCriterion,
    Site,
    Stakeholder,
)
from .services import portfolio_scoring_create

# customer number: (name, industry, tier, owner, country, parent); attractiveness and
# relative strength come from the portfolio scorings below.
ACCOUNTS = {
    "K-10000": ("Nordwerk Group", "Mechanical engineering", "strategic", "anna", "DE", None),
    "K-10001": ("Nordwerk Antriebe GmbH", "Drive technology", "strategic", "anna", "DE", "K-10000"),
    "K-10002": ("Alpina Pack AG", "Packaging machines", "key", "anna", "CH", None),
    "K-20001": ("Meridian Foods Ltd", "Food processing", "key", "ben", "GB", None),
    "K-20002": ("Cascade Automotive Inc", "Automotive supplier", "strategic", "ben", "US", None),
    "K-20003": ("Baltic Timber AB", "Wood processing", "development", "ben", "SE", None),
}

SITES = {
    "K-10001": [
        ("Bremen", "Bremen", "North", "DE"),
        ("Leipzig", "Leipzig", "East", "DE"),
        ("Wrocław", "Wrocław", "Lower Silesia", "PL"),
    ],
    "K-10002": [("Zug", "Zug", "Central", "CH")],
    "K-20001": [
        ("Manchester", "Manchester", "North West", "GB"),
        ("Cork", "Cork", "Munster", "IE"),
    ],
    "K-20002": [
        ("Detroit", "Detroit", "Michigan", "US"),
        ("Puebla", "Puebla", "Puebla", "MX"),
        ("Graz", "Graz", "Styria", "AT"),
    ],
}

# (name, title, department, buying role, influence, attitude, level, interval, days ago)
STAKEHOLDERS: dict[str, list[tuple[str, str, str, str, int, str, str, int, int | None]]] = {
    "K-10001": [
        ("Dr. Karin Vogt", "COO", "Management", "decider", 5, "supporter", "strategic", 60, 20),
        (
            "Jens Albrecht",
            "Head of Purchasing",
            "Purchasing",
            "buyer",
            4,
            "neutral",
            "tactical",
            30,
            45,
        ),
        (
            "Marta Nowak",
            "Plant engineer",
            "Production",
            "user",
            2,
            "supporter",
            "operative",
            30,
            None,
        ),
        (
            "Thomas Reich",
            "Quality manager",
            "Quality",
            "gatekeeper",
            3,
            "opponent",
            "tactical",
            45,
            10,
        ),
    ],
    "K-20002": [
        (
            "Linda Park",
            "VP Supply Chain",
            "Supply chain",
            "decider",
            5,
            "neutral",
            "strategic",
            45,
            50,
        ),
        ("Raj Mehta", "Commodity buyer", "Purchasing", "buyer", 3, "opponent", "operative", 21, 5),
    ],
    "K-20001": [
        (
            "Oliver Grant",
            "Engineering director",
            "Engineering",
            "influencer",
            4,
            "supporter",
            "strategic",
            60,
            30,
        ),
    ],
}

MARKET_STAGES = {
    "K-10001": [
        (
            1,
            "Machine builders",
            "OEMs building Nordwerk drives into conveyors.",
            "Joint application days with the OEMs' design engineers.",
        ),
        (2, "Logistics centres", "Operators of the conveyors.", "Energy-efficiency audits."),
    ],
    "K-20002": [
        (1, "Vehicle OEMs", "Cascade's customers.", "Specification work with OEM engineering."),
    ],
}


def load(*, users) -> None:
    today = timezone.localdate()
    accounts: dict[str, KeyAccount] = {}
    for number, (
        name,
        industry,
        tier,
        owner,
        country,
        parent,
    ) in ACCOUNTS.items():
        accounts[number], _ = KeyAccount.objects.update_or_create(
            customer_number=number,
            defaults={
                "name": name,
                "industry": industry,
                "tier": tier,
                "owner": users[owner],
                "country": country,
                "parent": accounts.get(parent) if parent is not None else None,
                "currency": {"US": "USD", "GB": "GBP", "CH": "CHF", "SE": "SEK"}.get(
                    country, "EUR"
                ),
            },
        )
    # ben supports anna's drive account; anna is on none of ben's teams.
    AccountTeamMember.objects.update_or_create(
        account=accounts["K-10001"], user=users["ben"], defaults={"role": "technical"}
    )
    for number, rows in SITES.items():
        for name, city, region, country in rows:
            Site.objects.update_or_create(
                account=accounts[number],
                name=name,
                defaults={"city": city, "region": region, "country": country},
            )
    for number, people in STAKEHOLDERS.items():
        account = accounts[number]
        for name, title, dept, role, influence, attitude, level, interval, ago in people:
            stakeholder, _ = Stakeholder.objects.update_or_create(
                account=account,
                name=name,
                defaults={
                    "title": title,
                    "department": dept,
                    "buying_role": role,
                    "influence": influence,
                    "attitude": attitude,
                    "interaction_level": level,
                    "contact_interval_days": interval,
                    "relationship_owner": account.owner,
                },
            )
            if ago is None:
                continue
            interaction, created = Interaction.objects.get_or_create(
                account=account,
                kind="meeting",
                summary=f"Account review with {name}.",
                defaults={"date": today - timedelta(days=ago), "author": account.owner},
            )
            interaction.stakeholders.add(stakeholder)
    load_portfolio(accounts=accounts)
    load_generated(users=users)
    for number, stages in MARKET_STAGES.items():
        for position, name, description, pull in stages:
            MarketStage.objects.update_or_create(
                account=accounts[number],
                name=name,
                defaults={
                    "position": position,
                    "description": description,
                    "pull_activities": pull,
                },
            )


A, S = PortfolioAxis.ATTRACTIVENESS, PortfolioAxis.RELATIVE_STRENGTH

# (axis, English, German, weight, what a 1 and a 10 mean); weights add up to 100 per axis.
CRITERIA = [
    (A, "Volume and growth potential", "Volumen- und Wachstumspotenzial", 30,
     "1: small, shrinking demand for what we offer; 10: large demand growing fast."),
    (A, "Profitability potential", "Ertragspotenzial", 25,
     "1: price-driven, thin margins; 10: pays for value, healthy contribution margins."),
    (A, "Innovation and joint development", "Innovations- und Entwicklungspotenzial", 20,
     "1: buys standard parts only; 10: develops new products together with us."),
    (A, "Fit with our corporate strategy", "Passung zur Unternehmensstrategie", 15,
     "1: outside our target industries; 10: at the core of them."),
    (A, "Reference value", "Referenzpotenzial", 10,
     "1: unknown in its market; 10: a name that opens doors elsewhere."),
    (S, "Product and technical fit", "Produkt- und technische Eignung", 30,
     "Against the best competitor: 1 far behind, 10 clearly ahead."),
    (S, "Price and value", "Preis-Leistungs-Verhältnis", 20,
     "How the customer rates our value for money against the best competitor."),
    (S, "Delivery and service reliability", "Liefer- und Servicezuverlässigkeit", 20,
     "On-time delivery, response times and service quality against competitors."),
    (S, "Access to decision makers", "Zugang zu Entscheidern", 20,
     "1: purchasing only; 10: trusted by the decision makers on every level."),
    (S, "Share of wallet", "Lieferanteil", 10,
     "1: under 10 % of the customer's spend in our categories; 10: over 80 %."),
]  # fmt: skip

# customer number: [(days ago, the five attractiveness scores, the five strength scores)],
# oldest first; the last scoring places the account in its quadrant.
SCORINGS = {
    "K-10000": [(0, [9, 8, 8, 9, 9], [7, 6, 7, 6, 5])],  # key strategic: 84 / 60
    "K-10001": [
        (180, [7, 7, 6, 8, 6], [6, 5, 7, 5, 4]),  # was 65 / 50
        (0, [8, 8, 7, 8, 7], [8, 6, 8, 7, 6]),  # key strategic: 74 / 69
    ],
    "K-10002": [(0, [7, 7, 6, 6, 5], [5, 4, 5, 4, 3])],  # key development: 61 / 38
    "K-20001": [(0, [4, 5, 4, 4, 3], [7, 6, 8, 7, 6])],  # key status: 35 / 66
    "K-20002": [
        (120, [9, 8, 8, 9, 7], [3, 3, 4, 2, 2]),  # was 83 / 20
        (0, [10, 8, 9, 9, 8], [4, 3, 5, 3, 2]),  # key development: 88 / 29
    ],
    "K-20003": [(0, [4, 3, 3, 4, 2], [4, 5, 4, 3, 3])],  # key streamline: 26 / 32
}


def load_portfolio(*, accounts: dict) -> None:
    criteria: dict[str, list[PortfolioCriterion]] = {A: [], S: []}
    for order, (axis, name_en, name_de, weight, description) in enumerate(CRITERIA):
        criterion, _ = PortfolioCriterion.objects.update_or_create(
            axis=axis,
            name_en=name_en,
            defaults={
                "name_de": name_de,
                "weight": Decimal(weight),
                "order": order,
                "description": description,
                "active": True,
            },
        )
        criteria[axis].append(criterion)
    # Criteria an administrator added beyond the demo's get a middling score.
    others = PortfolioCriterion.objects.filter(active=True).exclude(
        pk__in=[c.pk for c in criteria[A] + criteria[S]]
    )
    middling = dict.fromkeys(others.values_list("pk", flat=True), 5)
    for number, scorings in SCORINGS.items():
        account = accounts[number]
        if account.portfolio_scorings.exists():
            continue
        for days_ago, attractiveness, strength in scorings:
            scores = dict(zip((c.pk for c in criteria[A]), attractiveness, strict=True))
            scores |= dict(zip((c.pk for c in criteria[S]), strength, strict=True)) | middling
            scoring = portfolio_scoring_create(
                account=account, scores=scores, user=account.owner, note=""
            )
            if days_ago:
                scoring.scored_at -= timedelta(days=days_ago)
                scoring.save(update_fields=["scored_at"])


# --- the wider portfolio ------------------------------------------------------------------------

# Generated from a fixed seed, so every run builds the same accounts: (country, currency,
# language of the account's texts, legal form, cities).
COUNTRIES = [
    ("DE", "EUR", "de", "GmbH", ["Hamburg", "München", "Stuttgart", "Dortmund", "Köln"]),
    ("AT", "EUR", "de", "GmbH", ["Wien", "Linz", "Graz"]),
    ("CH", "CHF", "de", "AG", ["Basel", "Winterthur", "St. Gallen"]),
    ("FR", "EUR", "en", "SA", ["Lyon", "Lille", "Toulouse"]),
    ("NL", "EUR", "en", "B.V.", ["Eindhoven", "Rotterdam"]),
    ("GB", "GBP", "en", "Ltd", ["Birmingham", "Leeds", "Bristol"]),
    ("US", "USD", "en", "Inc", ["Chicago", "Houston", "Charlotte"]),
    ("SE", "SEK", "en", "AB", ["Göteborg", "Västerås"]),
    ("PL", "PLN", "en", "Sp. z o.o.", ["Poznań", "Katowice"]),
    ("CN", "CNY", "en", "Co., Ltd.", ["Suzhou", "Shenzhen"]),
    ("JP", "JPY", "en", "K.K.", ["Nagoya", "Osaka"]),
]
STEMS = [
    "Aurel",
    "Borea",
    "Castell",
    "Delta",
    "Elbtal",
    "Fjord",
    "Granit",
    "Helio",
    "Isar",
    "Juna",
    "Kestrel",
    "Lumen",
    "Merkur",
    "Nova",
    "Orion",
    "Polar",
    "Quadra",
    "Rhein",
    "Sigma",
    "Terra",
    "Ultra",
    "Vektor",
    "Westfal",
    "Zenit",
]
TRADES = [
    ("Mechanical engineering", "Maschinenbau"),
    ("Packaging machines", "Verpackungstechnik"),
    ("Food processing", "Lebensmitteltechnik"),
    ("Automotive supplier", "Automobilzulieferer"),
    ("Intralogistics", "Intralogistik"),
    ("Chemicals", "Chemie"),
    ("Building technology", "Gebäudetechnik"),
]
GENERATED = 34
# Managers the generated accounts go to in turn (anna and ben keep their named accounts).
MANAGERS = ["carla", "david", "emma", "felix", "anna", "ben"]


def generated_accounts() -> list[dict]:
    """The generated accounts' fields, the same on every call (random.Random with a seed)."""
    rng = random.Random(17)
    rows = []
    stems = rng.sample(STEMS, k=len(STEMS))
    for i in range(GENERATED):
        country, currency, language, form, cities = COUNTRIES[i % len(COUNTRIES)]
        industry_en, industry_de = rng.choice(TRADES)
        stem = stems[i % len(stems)] + ("" if i < len(stems) else " Nord")
        rows.append(
            {
                "customer_number": f"K-{30000 + i}",
                "name": f"{stem} {industry_de if language == 'de' else industry_en} {form}",
                "industry": industry_de if language == "de" else industry_en,
                "tier": rng.choice(["strategic", "key", "key", "development"]),
                "owner": MANAGERS[i % len(MANAGERS)],
                "country": country,
                "currency": currency,
                "language": language,
                "cities": rng.sample(cities, k=min(len(cities), rng.choice([1, 2]))),
                "scores": (
                    [rng.randint(2, 10) for _ in range(5)],
                    [rng.randint(2, 10) for _ in range(5)],
                ),
            }
        )
    return rows


def load_generated(*, users) -> None:
    criteria = {
        axis: list(
            PortfolioCriterion.objects.filter(
                axis=axis, name_en__in=[c[1] for c in CRITERIA]
            ).order_by("order")
        )
        for axis in (A, S)
    }
    others = PortfolioCriterion.objects.filter(active=True).exclude(
        pk__in=[c.pk for c in criteria[A] + criteria[S]]
    )
    middling = dict.fromkeys(others.values_list("pk", flat=True), 5)
    for row in generated_accounts():
        account, _ = KeyAccount.objects.update_or_create(
            customer_number=row["customer_number"],
            defaults={key: row[key] for key in ("name", "industry", "tier", "country", "currency")}
            | {"owner": users[row["owner"]]},
        )
        for city in row["cities"]:
            # A city's name reads the same in German and English.
            Site.objects.update_or_create(
                account=account, name=city, defaults={"city": city, "country": row["country"]}
            )
        if account.portfolio_scorings.exists():
            continue
        attractiveness, strength = row["scores"]
        scores = dict(zip((c.pk for c in criteria[A]), attractiveness, strict=True))
        scores |= dict(zip((c.pk for c in criteria[S]), strength, strict=True)) | middling
        portfolio_scoring_create(account=account, scores=scores, user=account.owner, note="")


def summary() -> str:
    accounts = KeyAccount.objects.all()
    return (
        f"{accounts.count()} key accounts in "
        f"{accounts.values('country').distinct().count()} countries and "
        f"{accounts.values('currency').distinct().count()} currencies"
    )
