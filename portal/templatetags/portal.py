from django import template

from portal import adapters

register = template.Library()


@register.simple_tag
def portal_nav_items() -> list[dict]:
    """Menu entries for the pages whose backing app is available."""
    return adapters.nav_items()


@register.simple_tag
def portal_feature(name: str) -> bool:
    return bool(adapters.features().get(name))


@register.filter
def public_name(org) -> str:
    """A community by its residents' committee name (“园林社区”), never “…大党委”."""
    from portal.naming import public_name as name_of

    return name_of(org)
