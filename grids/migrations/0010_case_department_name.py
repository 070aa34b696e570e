from django.db import migrations, models


class Migration(migrations.Migration):
    """The free-text 承办部门 is kept as history (``department_name``); the next migration
    adds the department record and links the cases whose text names one."""

    dependencies = [("grids", "0009_caseevent_retriage")]

    operations = [
        migrations.RenameField("case", "department", "department_name"),
        migrations.AlterField(
            model_name="case",
            name="department_name",
            field=models.CharField(
                blank=True,
                help_text="部门记录启用前手填的部门名称，保留作历史。",
                max_length=120,
                verbose_name="承办部门（原文）",
            ),
        ),
    ]
