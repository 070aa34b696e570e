"""Factories for members, 双报到, seats, standing posts, needles and 六有."""

from datetime import date

import factory

from core.validators import id_number_check_char
from covenants.models import PartnerUnit
from organizations import models as m


def make_id_number(born: date, seq: int, *, male: bool = True, region: str = "210302") -> str:
    """A valid GB 11643 ID number (Anshan Tiedong region by default)."""
    order = f"{(2 * seq + (1 if male else 0)) % 1000:03d}"
    first17 = f"{region}{born:%Y%m%d}{order}"
    return first17 + id_number_check_char(first17)


class PartnerUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerUnit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"驻区单位{n}")
    kind = "agency"


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Member

    code = factory.Sequence(lambda n: f"DY{n:06d}")
    name = factory.Sequence(lambda n: f"党员{n}")
    gender = "male"
    birth_date = date(1980, 5, 17)
    id_number = factory.Sequence(lambda n: make_id_number(date(1980, 5, 17), n + 1, male=True))
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    category = "in_service"
    status = "full"
    join_date = date(2005, 7, 1)


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Post

    code = factory.Sequence(lambda n: f"GW{n:04d}")
    kind = "convenience"
    name = factory.Sequence(lambda n: f"便民服务岗{n}")


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.CommunityRegistration

    code = factory.Sequence(lambda n: f"BD{n:05d}")
    registered_on = date(2025, 3, 1)
