from grids.models.cases import Case, CaseEvent, CasePhoto
from grids.models.departments import Department, DeskAccount
from grids.models.grid import Grid, GridWorker
from grids.models.notices import CaseNotice
from grids.models.roster import Building, Compound, Household, Resident
from grids.models.visits import CentralHouseholdLink, VisitLog

__all__ = [
    "Building",
    "Case",
    "CaseEvent",
    "CaseNotice",
    "CasePhoto",
    "CentralHouseholdLink",
    "Department",
    "DeskAccount",
    "Compound",
    "Grid",
    "GridWorker",
    "Household",
    "Resident",
    "VisitLog",
]
