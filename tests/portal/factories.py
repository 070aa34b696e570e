import factory

from portal.models import ServiceCentre, ServiceItem


class ServiceCentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceCentre

    name = factory.Sequence(lambda n: f"第{n}党群服务中心")
    address = "站前街 8 号"
    open_hours = "周一至周五 8:30–17:00"
    phone = "0412-2221001"
    services = "政策咨询\n证明开具"
    committee_name = "园林社区居民委员会"
    committee_phone = "0412-2221002"


class ServiceItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceItem

    category = "社会保障"
    title = factory.Sequence(lambda n: f"事项{n}")
    materials = "身份证原件\n户口簿"
    place = "党群服务中心一楼"
    hours = "周一至周五"
    one_visit = True
    is_published = True


# A 1×1 PNG: the smallest real image for upload tests.
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def make_grid_with_building(community, *, code="G1", building_code="BLD1"):
    """A grid with a full-time worker and one building in ``community`` (grids models)."""
    from grids.models import Building, Compound, Grid, GridWorker

    grid = Grid.objects.create(
        code=code, name=f"{community.name}第一网格", level="grid", community=community
    )
    worker = GridWorker.objects.create(
        code=f"{code}-W1", grid=grid, role="full_time", name="赵网格", phone="13944445555"
    )
    compound, _ = Compound.objects.get_or_create(
        community=community,
        name="春晖家园",
        defaults={"code": f"{community.code}-CH", "aliases": "春晖小区"},
    )
    building = Building.objects.create(
        code=building_code,
        name="3号楼",
        number="3",
        units=2,
        compound=compound,
        community=community,
        grid=grid,
    )
    return grid, worker, building


def resolve_case(tracking_code, actor, worker, resolution="已更换楼道灯。"):
    """A cadre accepts, dispatches and resolves the case through the grids services."""
    from grids.models import Case
    from grids.services.cases import case_accept, case_dispatch, case_resolve

    case = Case.objects.get(tracking_code=tracking_code)
    case = case_accept(actor=actor, case=case, triage="minor")
    case = case_dispatch(actor=actor, case=case, kind="grid_worker", target=worker)
    return case_resolve(actor=actor, case=case, resolution=resolution)


def make_resident(client, community, *, phone="13912345678", name="王阿姨"):
    """Register a resident account through the portal and leave ``client`` logged in."""
    from portal.accounts import resident_register

    profile = resident_register(
        name=name,
        phone=phone,
        password="Yuanlin-2026!",
        community=community,
        phone_verified=True,
    )
    client.force_login(profile.user)
    return profile


def make_activity(actor, organizer, *, code="ACT1", title="敬老院义务打扫", capacity=2, days=3):
    from datetime import timedelta

    from django.utils import timezone

    from volunteers.services.activities import activity_create

    start = timezone.now() + timedelta(days=days)
    return activity_create(
        actor=actor,
        code=code,
        title=title,
        organizer=organizer,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="园林社区党群服务中心",
        capacity=capacity,
    )


def approve_volunteer(actor, user):
    from volunteers.models import Volunteer
    from volunteers.services.volunteers import volunteer_set_status

    return volunteer_set_status(
        actor=actor, volunteer=Volunteer.objects.get(user=user), status="registered"
    )


def publish_wish(actor, title):
    from volunteers.models import Wish
    from volunteers.services.wishes import wish_publish, wish_review

    wish = Wish.objects.get(title=title)
    wish = wish_review(actor=actor, wish=wish, approve=True)
    return wish_publish(actor=actor, wish=wish)
