from django.db import migrations, models


def drop_change_number(apps, schema_editor):
    """The single change number gives way to a version per table (kam.kept), whose
    sequences the post_migrate receiver creates."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP SEQUENCE IF EXISTS kam_change_number")


def create_change_number(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE SEQUENCE IF NOT EXISTS kam_change_number")
        schema_editor.execute("SELECT nextval('kam_change_number')")
    else:
        apps.get_model("kam", "ChangeNumber").objects.create(pk=1, number=1)


class Migration(migrations.Migration):
    dependencies = [
        ("kam", "0002_change_number"),
    ]

    operations = [
        migrations.CreateModel(
            name="TableVersion",
            fields=[
                (
                    "name",
                    models.CharField(
                        max_length=63, primary_key=True, serialize=False, verbose_name="table"
                    ),
                ),
                ("number", models.BigIntegerField(default=0, verbose_name="number")),
            ],
            options={
                "verbose_name": "table version",
                "verbose_name_plural": "table versions",
            },
        ),
        migrations.RunPython(migrations.RunPython.noop, create_change_number),
        migrations.DeleteModel(
            name="ChangeNumber",
        ),
        migrations.RunPython(drop_change_number, migrations.RunPython.noop),
    ]
