import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("grids", "0006_compound"),
    ]

    operations = [
        migrations.RemoveField(model_name="building", name="compound_text"),
        migrations.AlterField(
            model_name="building",
            name="compound",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="buildings", to="grids.compound", verbose_name="所在小区"),
        ),
        migrations.AlterField(
            model_name="building",
            name="name",
            field=models.CharField(help_text="例如：3号楼。", max_length=120, verbose_name="楼栋名称"),
        ),
        migrations.AddIndex(
            model_name="building",
            index=models.Index(fields=["compound", "number"], name="building_compound_no_idx"),
        ),
    ]
