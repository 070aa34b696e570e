"""The skill dictionary (志愿技能): one list for the whole system, not anchored in the tree, so
its writes are gated by the model permissions alone (as in the admin and the file import)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from core.services import audit
from volunteers.models import Skill


@transaction.atomic
def skill_save(*, actor, skill: Skill) -> Skill:
    skill.full_clean()
    created = skill.pk is None
    skill.save()
    audit(actor=actor, action="skill.create" if created else "skill.update", target=skill)
    return skill


@transaction.atomic
def skill_delete(*, actor, skill: Skill) -> None:
    if skill.volunteers.exists() or skill.activities.exists():
        raise ValidationError({"code": ["仍有志愿者或活动使用该技能，不能删除。"]})
    audit(actor=actor, action="skill.delete", target=skill)
    skill.delete()
