"""Factories of the grids app; ID numbers are generated with a valid GB 11643 check digit."""

import factory

from core.validators import id_number_check_char
from grids.models import Building, Compound, Grid, GridWorker, Household, Resident


def make_id_number(n: int, *, born: str = "19800101", region: str = "210302") -> str:
    first17 = f"{region}{born}{n % 1000:03d}"
    return first17 + id_number_check_char(first17)


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"G{n:05d}")
    name = factory.Sequence(lambda n: f"第{n}网格")
    level = "grid"
    parent = None
    community = factory.LazyAttribute(lambda o: o.parent.community if o.parent else None)


class GridWorkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GridWorker

    code = factory.Sequence(lambda n: f"W{n:05d}")
    grid = factory.SubFactory(GridFactory)
    role = "full_time"
    name = factory.Sequence(lambda n: f"网格员{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")


class CompoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Compound
        django_get_or_create = ("community", "name")

    code = factory.Sequence(lambda n: f"XQ{n:05d}")
    name = "园林小区"
    community = None


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    code = factory.Sequence(lambda n: f"BLD{n:05d}")
    name = factory.Sequence(lambda n: f"{n}号楼")
    grid = factory.SubFactory(GridFactory)
    community = factory.LazyAttribute(lambda o: o.grid.community)
    compound = factory.SubFactory(CompoundFactory, community=factory.SelfAttribute("..community"))
    number = factory.LazyAttribute(lambda o: "".join(c for c in o.name if c.isdigit()))
    floors = 6


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    code = factory.Sequence(lambda n: f"H{n:06d}")
    building = factory.SubFactory(BuildingFactory)
    grid = factory.LazyAttribute(lambda o: o.building.grid)
    door_number = factory.Sequence(lambda n: f"{n % 6 + 1}-{n % 4 + 1}01")
    head_name = factory.Sequence(lambda n: f"户主{n}")
    size = 2


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident

    household = factory.SubFactory(HouseholdFactory)
    name = factory.Sequence(lambda n: f"居民{n}")
    id_number = factory.Sequence(lambda n: make_id_number(n))
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    relation = "head"
