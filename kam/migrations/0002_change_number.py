from django.db import migrations, models

SEQUENCE = "kam_change_number"


def create_number(apps, schema_editor):
    """PostgreSQL counts in a sequence, called once so that its first value reads apart from
    an unused one; other databases in the row of ChangeNumber."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
        schema_editor.execute(f"SELECT nextval('{SEQUENCE}')")
    else:
        apps.get_model("kam", "ChangeNumber").objects.create(pk=1, number=1)


def drop_number(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [
        ("kam", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChangeNumber",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "change number",
            },
        ),
        migrations.RunPython(create_number, drop_number),
    ]
