from django.db import migrations


class Migration(migrations.Migration):
    """What the dashboard keeps of the figures follows their tables' versions (kam.kept)."""

    dependencies = [
        ("controlling", "0010_dashboard_export"),
    ]

    operations = [
        migrations.DeleteModel(
            name="FiguresVersion",
        ),
    ]
