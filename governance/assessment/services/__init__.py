"""Every write of the work list, admission and assessment goes through these services."""

from governance.assessment.services.admission import (
    admission_approve,
    admission_community_refuse,
    admission_file,
    admission_refuse,
)
from governance.assessment.services.rollup import rollup_execute, rollup_request
from governance.assessment.services.scoring import (
    assessment_create,
    can_manage_indicator_sets,
    can_score,
    indicator_set_activate,
    score_enter,
    score_errors,
    tally_record,
    weight_errors,
)
from governance.assessment.services.worklist import (
    work_item_save,
    worklist_copy,
    worklist_publish,
    worklist_version_create,
)

__all__ = [
    "admission_approve",
    "admission_community_refuse",
    "admission_file",
    "admission_refuse",
    "assessment_create",
    "can_manage_indicator_sets",
    "can_score",
    "indicator_set_activate",
    "rollup_execute",
    "rollup_request",
    "score_enter",
    "score_errors",
    "tally_record",
    "weight_errors",
    "work_item_save",
    "worklist_copy",
    "worklist_publish",
    "worklist_version_create",
]
