"""小区 as a record: buildings point at a Compound (with aliases) and have a number and units.

Existing buildings get a compound per (community, old 所在小区 text) — a blank text becomes the
community's “未填小区” compound for cadres to sort out — their number from their name (“3号楼”
→ “3”) and their units from their households' door numbers (“2单元301”)."""

import re
import unicodedata

import django.db.models.deletion
import mptt.fields
from django.db import migrations, models

import core.validators


_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))


def _numeral(text: str) -> str:
    """一..九十九 as digits (a frozen copy of grids.placenames: migrations keep their code)."""
    if "十" in text:
        head, _, tail = text.partition("十")
        if len(head) > 1 or len(tail) > 1:
            return text
        return str((_DIGITS.get(head, 1) if head else 1) * 10 + (_DIGITS.get(tail, 0) if tail else 0))
    return "".join(str(_DIGITS[c]) for c in text)


def _number(name: str) -> str:
    value = unicodedata.normalize("NFKC", name or "").lower().replace(" ", "")
    value = re.sub(r"[零〇一二两三四五六七八九十]+", lambda m: _numeral(m.group(0)), value)
    match = re.search(r"(\d+)\s*(?:号楼|栋|幢|座|号|#|楼)?$", value)
    return match.group(1) if match else ""


def forwards(apps, schema_editor):
    Building = apps.get_model("grids", "Building")
    Compound = apps.get_model("grids", "Compound")
    Household = apps.get_model("grids", "Household")
    Organization = apps.get_model("organizations", "Organization")
    communities = {o.pk: o for o in Organization.objects.filter(
        pk__in=Building.objects.values("community_id")
    )}
    compounds: dict[tuple[int, str], int] = {}
    used = set(Compound.objects.values_list("code", flat=True))
    units: dict[int, int] = {}
    for building_id, door in Household.objects.exclude(building=None).values_list(
        "building_id", "door_number"
    ):
        match = re.match(r"^\s*(\d+)\s*单元", unicodedata.normalize("NFKC", door or ""))
        if match:
            units[building_id] = max(units.get(building_id, 0), int(match.group(1)))
    for building in Building.objects.order_by("pk").iterator():
        name = (building.compound_text or "").strip() or "未填小区"
        key = (building.community_id, name)
        if key not in compounds:
            community = communities[building.community_id]
            n = 1
            while f"{community.code[:56]}-XQ{n:02d}" in used:
                n += 1
            code = f"{community.code[:56]}-XQ{n:02d}"
            used.add(code)
            compounds[key] = Compound.objects.create(
                code=code, name=name[:120], community_id=building.community_id
            ).pk
        building.compound_id = compounds[key]
        building.number = _number(building.name)
        building.units = units.get(building.pk) or None
        building.save(update_fields=["compound", "number", "units"])


def backwards(apps, schema_editor):
    Building = apps.get_model("grids", "Building")
    for building in Building.objects.select_related("compound").iterator():
        building.compound_text = building.compound.name if building.compound_id else ""
        building.save(update_fields=["compound_text"])


class Migration(migrations.Migration):

    dependencies = [
        ("grids", "0005_case_same_problem_as"),
        ("organizations", "0003_list_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="Compound",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("code", models.CharField(max_length=64, unique=True, validators=[core.validators.validate_code], verbose_name="小区编码")),
                ("name", models.CharField(max_length=120, verbose_name="小区名称")),
                ("aliases", models.CharField(blank=True, help_text="居民常用的其他叫法，用顿号或逗号隔开，例如：园林花园、老园林。", max_length=300, verbose_name="别名")),
                ("address", models.CharField(blank=True, max_length=200, verbose_name="地址")),
                ("community", mptt.fields.TreeForeignKey(limit_choices_to={"kind": "community_committee"}, on_delete=django.db.models.deletion.PROTECT, related_name="residential_compounds", to="organizations.organization", verbose_name="所属社区")),
            ],
            options={
                "verbose_name": "小区",
                "verbose_name_plural": "小区",
                "ordering": ["code"],
                "constraints": [models.UniqueConstraint(fields=("community", "name"), name="uniq_compound_name_in_community", violation_error_message="本社区已有同名小区。")],
            },
        ),
        migrations.RenameField(model_name="building", old_name="compound", new_name="compound_text"),
        migrations.AddField(
            model_name="building",
            name="compound",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="buildings", to="grids.compound", verbose_name="所在小区"),
        ),
        migrations.AddField(
            model_name="building",
            name="number",
            field=models.CharField(blank=True, help_text="居民说的几号楼、几栋，只写号，例如 3；留空时按楼栋名称取。", max_length=16, verbose_name="楼号"),
        ),
        migrations.AddField(
            model_name="building",
            name="units",
            field=models.PositiveSmallIntegerField(blank=True, help_text="这栋楼有几个单元；不分单元的留空。", null=True, verbose_name="单元数"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
