# The benchmark's reference rows moved to the devtools app, which production does not
# install: production's schema keeps no benchmark table (devtools 0001 creates its own).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("certportal", "0003_bench_reference_rows"),
    ]

    operations = [
        migrations.DeleteModel(name="BenchRow"),
    ]
