"""The organizations app's importers, all on ``core.importing`` (bulk, scoped, all or nothing).

``organization`` loads the tree; ``members`` the member records (``IMPORTERS`` maps a name to
each); ``xlsx`` is the streaming reader the member importers use. ``resources`` holds the
django-import-export baseline used only by ``bench/members_import.py`` and is not imported here.
"""

from organizations.importers.members import (
    COMMUNITY,
    IMPORTERS,
    MEMBER_ID,
    ORG_CODE,
    UNIT_HELP,
    UNIT_LINK,
    AppraisalImporter,
    BodyImporter,
    CommitteeSeatImporter,
    FinancialDisclosureImporter,
    Link,
    LinkedImporter,
    MemberActivityImporter,
    MemberImporter,
    PostClaimImporter,
    PostImporter,
    RegistrationImporter,
    SentDownCadreImporter,
    SixHavesImporter,
    StandingAppointmentImporter,
    code_parser,
    copy_with_history,
    duplicate_errors,
    member_id_column,
    parse_id_number,
    parse_phone,
    parse_weekdays,
)
from organizations.importers.officers import OfficerImporter
from organizations.importers.organization import (
    OrganizationImporter,
)

IMPORTERS["officers"] = OfficerImporter

__all__ = [
    "OfficerImporter",
    "AppraisalImporter",
    "BodyImporter",
    "COMMUNITY",
    "CommitteeSeatImporter",
    "FinancialDisclosureImporter",
    "IMPORTERS",
    "Link",
    "LinkedImporter",
    "MEMBER_ID",
    "MemberActivityImporter",
    "MemberImporter",
    "ORG_CODE",
    "OrganizationImporter",
    "PostClaimImporter",
    "PostImporter",
    "RegistrationImporter",
    "SentDownCadreImporter",
    "SixHavesImporter",
    "StandingAppointmentImporter",
    "UNIT_HELP",
    "UNIT_LINK",
    "code_parser",
    "copy_with_history",
    "duplicate_errors",
    "member_id_column",
    "parse_id_number",
    "parse_phone",
    "parse_weekdays",
]
