"""Departments (职能部门 / 驻区单位) and the desk accounts that act for a department, a
registered member or a sent-down cadre."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from core.services import scoped_save
from grids.models import DeskAccount
from grids.roles import DEPARTMENT_ROLE, MEMBER_ROLE


def desk_account_anchor(account: DeskAccount):
    """The organisation the account hangs under: the department's street, or the community
    the member registered with / the cadre serves."""
    if account.department_id:
        return account.department.street
    if account.registration_id:
        return account.registration.community
    if account.cadre_id:
        return account.cadre.community
    raise ValidationError("请只选择一个：职能部门、双报到党员或下沉干部。")


@transaction.atomic
def desk_account_save(*, actor, account: DeskAccount) -> DeskAccount:
    """Create or change a desk account (links checked, scope kept) and put its user in the
    matching role: 职能部门 for a department, 报到党员 for a member or cadre."""
    account.clean()
    account.organization = desk_account_anchor(account)
    scoped_save(actor=actor, instance=account)
    role = DEPARTMENT_ROLE if account.department_id else MEMBER_ROLE
    group, _ = Group.objects.get_or_create(name=role)
    account.user.groups.add(group)
    for attr in ("_desk_account_cache",):
        if hasattr(account.user, attr):
            delattr(account.user, attr)
    return account
