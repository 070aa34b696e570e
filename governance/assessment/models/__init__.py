from governance.assessment.models.admission import AdmissionRequest
from governance.assessment.models.assessment import (
    Assessment,
    Result,
    RollupRun,
    SatisfactionTally,
    Score,
)
from governance.assessment.models.indicators import Indicator, IndicatorSet
from governance.assessment.models.worklist import WorkItem, WorkListVersion

__all__ = [
    "AdmissionRequest",
    "Assessment",
    "Indicator",
    "IndicatorSet",
    "Result",
    "RollupRun",
    "SatisfactionTally",
    "Score",
    "WorkItem",
    "WorkListVersion",
]
