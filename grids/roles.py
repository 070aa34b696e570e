"""Roles of the desk (吹哨报到 / 党员报到): a department's account sees only the cases whistled
to it; a registered member's or sent-down cadre's account only the cases dispatched to that
person (``grids.models.cases.CaseQuerySet.visible_to``). Both act through the case steps."""

DEPARTMENT_ROLE = "职能部门"
MEMBER_ROLE = "报到党员"

ROLE_PERMISSIONS = {
    DEPARTMENT_ROLE: {
        "grids.case": "change view",
        "grids.caseevent": "view",
        "grids.casephoto": "view",
    },
    MEMBER_ROLE: {
        "grids.case": "change view",
        "grids.caseevent": "view",
        "grids.casephoto": "view",
    },
}
