from volunteers.models.activity import Activity, SignUp
from volunteers.models.hours import HoursEntry
from volunteers.models.volunteer import Skill, Team, Volunteer, community_error
from volunteers.models.wish import Wish

__all__ = [
    "Activity",
    "HoursEntry",
    "SignUp",
    "Skill",
    "Team",
    "Volunteer",
    "Wish",
    "community_error",
]
