"""Every write of the volunteers app. All keyword-only, atomic, scope-checked and audited."""

from volunteers.services.activities import (
    activity_cancel,
    activity_create,
    activity_update,
    sign_up_cancel,
    sign_up_check_in,
    sign_up_check_out,
    sign_up_create,
)
from volunteers.services.hours import (
    award_problems,
    effective_hours,
    hours_award,
    hours_correct,
)
from volunteers.services.skills import skill_delete, skill_save
from volunteers.services.volunteers import (
    team_add_member,
    team_create,
    team_remove_member,
    team_update,
    volunteer_apply,
    volunteer_create,
    volunteer_set_status,
    volunteer_update,
)
from volunteers.services.wishes import (
    wish_claim,
    wish_confirm,
    wish_fulfil,
    wish_post,
    wish_publish,
    wish_review,
)

__all__ = [
    "activity_cancel",
    "activity_create",
    "activity_update",
    "effective_hours",
    "award_problems",
    "hours_award",
    "hours_correct",
    "sign_up_cancel",
    "skill_delete",
    "skill_save",
    "sign_up_check_in",
    "sign_up_check_out",
    "sign_up_create",
    "team_add_member",
    "team_create",
    "team_remove_member",
    "team_update",
    "volunteer_apply",
    "volunteer_create",
    "volunteer_set_status",
    "volunteer_update",
    "wish_claim",
    "wish_confirm",
    "wish_fulfil",
    "wish_post",
    "wish_publish",
    "wish_review",
]
