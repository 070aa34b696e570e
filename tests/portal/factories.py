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
