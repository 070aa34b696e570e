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
