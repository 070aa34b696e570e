from covenants.models.activities import ActivityAttachment, ActivityRecord, ServiceProject
from covenants.models.agreements import (
    Agreement,
    AgreementClause,
    AgreementTemplate,
    TemplateClause,
)
from covenants.models.covenant import Covenant, CovenantVersion
from covenants.models.engagement import LiaisonLog, Need, Project, Resource, UnitAssessment
from covenants.models.units import PartnerUnit, PartnerUnitQuerySet, UnitPartnership

__all__ = [
    "ActivityAttachment",
    "ActivityRecord",
    "Agreement",
    "AgreementClause",
    "AgreementTemplate",
    "Covenant",
    "CovenantVersion",
    "LiaisonLog",
    "Need",
    "PartnerUnit",
    "PartnerUnitQuerySet",
    "Project",
    "Resource",
    "ServiceProject",
    "TemplateClause",
    "UnitAssessment",
    "UnitPartnership",
]
