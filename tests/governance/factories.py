import datetime as dt

import factory

from governance.models import MeetingSeries, SeriesMember
from tests.factories import OrganizationFactory


class MeetingSeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeetingSeries

    code = factory.Sequence(lambda n: f"MS{n:04d}")
    name = factory.Sequence(lambda n: f"联席会议{n}")
    kind = "committee_joint"
    body = factory.SubFactory(OrganizationFactory)
    cadence = "monthly"
    starts_on = dt.date(2024, 1, 1)


class SeriesMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeriesMember

    series = factory.SubFactory(MeetingSeriesFactory)
    kind = "unit_liaison"
    name = factory.Sequence(lambda n: f"成员{n}")
    unit_name = factory.Sequence(lambda n: f"单位{n}")
