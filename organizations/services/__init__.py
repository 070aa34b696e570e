"""Every write of the organizations app (keyword-only, with ``actor``, atomic, full_clean, audited).

``organization`` keeps the tree; ``members`` the members, 双报到, seats, standing posts and needles.
"""

from organizations.services.members import (
    appraisal_conclude,
    appraisal_save,
    disclosure_publish,
    disclosure_withdraw,
    feedback_submit,
    member_create,
    member_delete,
    member_save,
    member_update,
    post_claim,
    post_claim_update,
    post_claim_withdraw,
    registration_create,
    registration_save,
    registration_update,
    sent_down_cadre_save,
)
from organizations.services.officers import (
    officer_clash_errors,
    officer_create,
    officer_delete,
    officer_save,
    officer_update,
)
from organizations.services.organization import (
    TREE_LOCK_ID,
    lock_tree,
    organization_create,
    organization_delete,
    organization_update,
)

__all__ = [
    "TREE_LOCK_ID",
    "appraisal_conclude",
    "appraisal_save",
    "disclosure_publish",
    "disclosure_withdraw",
    "feedback_submit",
    "lock_tree",
    "member_create",
    "member_delete",
    "member_save",
    "member_update",
    "officer_clash_errors",
    "officer_create",
    "officer_delete",
    "officer_save",
    "officer_update",
    "organization_create",
    "organization_delete",
    "organization_update",
    "post_claim",
    "post_claim_update",
    "post_claim_withdraw",
    "registration_create",
    "registration_save",
    "registration_update",
    "sent_down_cadre_save",
]
