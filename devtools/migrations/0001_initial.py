# The benchmark's 50-row reference model (moved here from certportal 0003).

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("certportal", "0004_benchrow_to_devtools"),
    ]

    operations = [
        migrations.CreateModel(
            name="BenchRow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("value", models.IntegerField()),
            ],
            options={
                "ordering": ["id"],
            },
        ),
    ]
