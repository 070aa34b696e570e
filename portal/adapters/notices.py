"""公开: what the other apps mark public — current covenants (covenants), the community work
list (governance.assessment), 股份合作公司 financial disclosures (organizations), public
meeting resolutions (governance) and partner units with their projects (covenants). Each
reader uses the owning app's public selector; none of them touches personal data."""

from __future__ import annotations

from django.db.models import Q

from portal.adapters import _has


def available() -> dict[str, bool]:
    return {
        "covenants": _has("covenants.selectors", "public_covenant_versions"),
        "work_list": _has("governance.assessment.selectors", "public_work_items_for"),
        "disclosures": _has("organizations.selectors", "public_disclosures"),
        "resolutions": _has("governance.selectors", "public_resolutions"),
        "units": _has("covenants.selectors", "public_partner_units"),
    }


def covenants(community) -> list:
    """Current covenant versions of the community's subtree and of its street."""
    from covenants.selectors import public_covenant_versions

    return list(
        public_covenant_versions().filter(
            Q(
                covenant__organization__tree_id=community.tree_id,
                covenant__organization__lft__gte=community.lft,
                covenant__organization__lft__lte=community.rght,
            )
            | Q(covenant__organization_id=community.parent_id)
        )[:50]
    )


def work_items(community) -> list:
    from governance.assessment.selectors import public_work_items_for

    return list(public_work_items_for(community)[:300])


def disclosures(community) -> list:
    from organizations.selectors import public_disclosures

    return list(public_disclosures(community)[:30])


def resolutions(community) -> list:
    from governance.selectors import public_resolutions

    return list(public_resolutions(community)[:30])


def units(community) -> list:
    from covenants.selectors import public_partner_units

    return list(public_partner_units(community)[:50])


def notices_for(community) -> dict:
    on = available()
    readers = {
        "covenants": covenants,
        "work_list": work_items,
        "disclosures": disclosures,
        "resolutions": resolutions,
        "units": units,
    }
    return {name: (reader(community) if on[name] else None) for name, reader in readers.items()}
