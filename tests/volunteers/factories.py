"""Factories of the volunteers app. Valid ID numbers are computed (GB 11643 check digit)."""

from datetime import timedelta

import factory
from django.utils import timezone

from core.validators import id_number_check_char
from volunteers.choices import ActivityStatus, TeamKind, VolunteerStatus
from volunteers.models import Activity, Skill, Team, Volunteer


def make_id_number(n: int) -> str:
    first17 = f"210302198{(n // 1000) % 10}0101{n % 1000:03d}"
    return first17 + id_number_check_char(first17)


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"skill{n}")
    name = factory.Sequence(lambda n: f"技能{n}")


class VolunteerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Volunteer

    number = factory.Sequence(lambda n: f"V{n:06d}")
    name = factory.Sequence(lambda n: f"志愿者{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    id_number = factory.Sequence(make_id_number)
    status = VolunteerStatus.REGISTERED
    community = None


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    code = factory.Sequence(lambda n: f"T{n:04d}")
    name = factory.Sequence(lambda n: f"服务队{n}")
    kind = TeamKind.PATROL
    community = None


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    code = factory.Sequence(lambda n: f"ACT{n:05d}")
    title = factory.Sequence(lambda n: f"志愿活动{n}")
    organizer = None
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=3))
    place = "社区党群服务中心"
    capacity = 10
    status = ActivityStatus.OPEN
