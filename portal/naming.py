"""The names residents know places by. A community is public under its residents'
committee's name (“园林社区”, from “园林社区居民委员会”), never its party committee's
(“园林社区大党委”): every portal page names communities through ``public_name``."""

from __future__ import annotations

from django.core.cache import cache

from organizations.choices import OrgKind
from organizations.models import Organization

PUBLIC_TTL = 60
_SUFFIXES = ("党员中心户", "党员先锋岗", "党小组", "党支部", "大党委", "综合党委", "党总支")
_SUFFIXES += ("党工委", "党委")
_COMMITTEE_SUFFIXES = ("居民委员会", "居委会")
_KEY = "portal:pub:public-names"


def strip_party(name: str) -> str:
    """“园林小区党支部” → “园林小区”, “园林社区大党委” → “园林社区”."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)] or name
    return name


def public_names() -> dict[str, str]:
    """Community code → its public name: the residents' committee (“园林社区居民委员会” →
    “园林社区”) as kept on its service centre, else the party committee's name without its
    party suffix. One query (communities with their service centres), cached a minute."""
    names = cache.get(_KEY)
    if names is None:
        names = {}
        rows = Organization.objects.filter(kind=OrgKind.COMMUNITY_COMMITTEE).values_list(
            "code", "name", "service_centre__committee_name"
        )
        for code, name, committee in rows:
            committee = (committee or "").strip()
            for suffix in _COMMITTEE_SUFFIXES:
                if committee.endswith(suffix) and len(committee) > len(suffix):
                    committee = committee[: -len(suffix)]
                    break
            else:
                committee = ""
            names[code] = committee or strip_party(name)
        cache.set(_KEY, names, PUBLIC_TTL)
    return names


def public_name(org) -> str:
    """The public name of a community (or the place name of any other organisation)."""
    if org is None:
        return ""
    return public_names().get(org.code) or strip_party(org.name)
