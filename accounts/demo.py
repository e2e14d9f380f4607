"""Demo key accounts for `load_demo`: two managers' portfolios with sites, buying centres,
contacts and downstream markets. Idempotent: rows are matched by their natural keys."""

from datetime import timedelta

from django.utils import timezone

from .models import (
    AccountTeamMember,
    Interaction,
    KeyAccount,
    MarketStage,
    Site,
    Stakeholder,
)

# customer number: (name, industry, tier, owner, country, parent, attractiveness, strength)
ACCOUNTS = {
    "K-10000": (
        "Nordwerk Group",
        "Mechanical engineering",
        "strategic",
        "anna",
        "DE",
        None,
        85,
        60,
    ),
    "K-10001": (
        "Nordwerk Antriebe GmbH",
        "Drive technology",
        "strategic",
        "anna",
        "DE",
        "K-10000",
        80,
        70,
    ),
    "K-10002": ("Alpina Pack AG", "Packaging machines", "key", "anna", "CH", None, 65, 45),
    "K-20001": ("Meridian Foods Ltd", "Food processing", "key", "ben", "GB", None, 70, 55),
    "K-20002": (
        "Cascade Automotive Inc",
        "Automotive supplier",
        "strategic",
        "ben",
        "US",
        None,
        90,
        35,
    ),
    "K-20003": ("Baltic Timber AB", "Wood processing", "development", "ben", "SE", None, 40, 50),
}

SITES = {
    "K-10001": [
        ("Bremen plant", "Bremen", "North", "DE"),
        ("Leipzig plant", "Leipzig", "East", "DE"),
        ("Wrocław plant", "Wrocław", "Lower Silesia", "PL"),
    ],
    "K-10002": [("Headquarters Zug", "Zug", "Central", "CH")],
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
STAKEHOLDERS = {
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
    accounts = {}
    for number, (
        name,
        industry,
        tier,
        owner,
        country,
        parent,
        attr,
        strength,
    ) in ACCOUNTS.items():
        accounts[number], _ = KeyAccount.objects.update_or_create(
            customer_number=number,
            defaults={
                "name": name,
                "industry": industry,
                "tier": tier,
                "owner": users[owner],
                "country": country,
                "parent": accounts.get(parent),
                "attractiveness": attr,
                "relative_strength": strength,
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
    for number, rows in STAKEHOLDERS.items():
        account = accounts[number]
        for name, title, dept, role, influence, attitude, level, interval, ago in rows:
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
    for number, rows in MARKET_STAGES.items():
        for position, name, description, pull in rows:
            MarketStage.objects.update_or_create(
                account=accounts[number],
                name=name,
                defaults={
                    "position": position,
                    "description": description,
                    "pull_activities": pull,
                },
            )
