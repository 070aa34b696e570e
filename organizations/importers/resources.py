"""django-import-export resources: the plain row-by-row path, kept as the benchmark baseline
for the member import (bench/members_import.py). The product's imports go through
``organizations.importers`` (bulk, scoped, all or nothing)."""

from import_export import fields, resources
from import_export.widgets import DateWidget, ForeignKeyWidget, Widget

from covenants.models import PartnerUnit
from organizations.choices import Gender, MemberCategory, MemberStatus
from organizations.models import Member, Organization


class ChoiceLabelWidget(Widget):
    """Files carry the Chinese labels (男, 在职党员); the model stores the values."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.by_label = {str(label): value for value, label in choices.choices}
        self.labels = dict(choices.choices)

    def clean(self, value, row=None, **kwargs):
        value = (value or "").strip()
        return self.by_label.get(value, value)

    def render(self, value, obj=None, **kwargs):
        return str(self.labels.get(value, value or ""))


class MemberResource(resources.ModelResource):
    """Members by ID number; branch and work unit by code. Saves one row at a time (each save
    also writes its history row through simple-history's signal)."""

    branch = fields.Field(
        attribute="branch",
        column_name="所在党组织编码",
        widget=ForeignKeyWidget(Organization, field="code"),
    )
    work_unit = fields.Field(
        attribute="work_unit",
        column_name="工作单位",
        widget=ForeignKeyWidget(PartnerUnit, field="code"),
    )
    code = fields.Field(attribute="code", column_name="党员编号")
    name = fields.Field(attribute="name", column_name="姓名")
    id_number = fields.Field(attribute="id_number", column_name="身份证号")
    gender = fields.Field(attribute="gender", column_name="性别", widget=ChoiceLabelWidget(Gender))
    birth_date = fields.Field(
        attribute="birth_date", column_name="出生日期", widget=DateWidget("%Y-%m-%d")
    )
    phone = fields.Field(attribute="phone", column_name="联系电话")
    category = fields.Field(
        attribute="category", column_name="党员类别", widget=ChoiceLabelWidget(MemberCategory)
    )
    status = fields.Field(
        attribute="status", column_name="党员状态", widget=ChoiceLabelWidget(MemberStatus)
    )
    join_date = fields.Field(
        attribute="join_date", column_name="入党日期", widget=DateWidget("%Y-%m-%d")
    )
    address = fields.Field(attribute="address", column_name="居住地址")

    class Meta:
        model = Member
        import_id_fields = ("id_number",)
        fields = (
            "code",
            "name",
            "id_number",
            "gender",
            "birth_date",
            "phone",
            "category",
            "status",
            "branch",
            "join_date",
            "work_unit",
            "address",
        )
        skip_unchanged = True
        clean_model_instances = True
        use_bulk = False
