"""社区吹哨、党员报到: a registered member's or sent-down cadre's desk login (role 报到党员, see
``grids.roles``) sees and works the tasks dispatched to that person
(``governance.models.tasks.TaskQuerySet.visible_to``)."""

from grids.roles import MEMBER_ROLE

ROLE_PERMISSIONS = {
    MEMBER_ROLE: {
        "governance.task": "change view",
        "governance.taskprogress": "view",
        "governance.evaluation": "view",
    },
}
