"""Every non-trivial read of the volunteers app, scoped and already joined."""

from volunteers.selectors.figures import volunteer_figures, volunteer_figures_by_community
from volunteers.selectors.records import (
    activities_visible_to,
    activity_roster,
    community_activities,
    hours_entries_visible_to,
    open_activities,
    sign_ups_of_volunteer,
    sign_ups_visible_to,
    skills_all,
    teams_visible_to,
    volunteer_calendar_sign_ups,
    volunteer_for_user,
    volunteer_hours_summary,
    volunteer_ledger,
    volunteers_visible_to,
    wishes_public,
    wishes_visible_to,
)

__all__ = [
    "activities_visible_to",
    "activity_roster",
    "community_activities",
    "hours_entries_visible_to",
    "open_activities",
    "sign_ups_of_volunteer",
    "sign_ups_visible_to",
    "skills_all",
    "teams_visible_to",
    "volunteer_figures",
    "volunteer_figures_by_community",
    "volunteer_calendar_sign_ups",
    "volunteer_for_user",
    "volunteer_hours_summary",
    "volunteer_ledger",
    "volunteers_visible_to",
    "wishes_public",
    "wishes_visible_to",
]
