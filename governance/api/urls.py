from django.urls import path
from rest_framework.routers import SimpleRouter

from governance.api.views import (
    MeetingSeriesViewSet,
    MeetingViewSet,
    NotificationViewSet,
    ResolutionViewSet,
    TaskViewSet,
    calendar_ics,
    figures,
    hotline_figures,
    series_calendar_ics,
    task_calendar_ics,
    task_evaluations,
)

router = SimpleRouter()
router.register("meeting-series", MeetingSeriesViewSet, basename="meetingseries")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("resolutions", ResolutionViewSet, basename="resolution")
router.register("tasks", TaskViewSet, basename="task")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    path("governance/figures/", figures, name="governance-figures"),
    path("governance/hotline-figures/", hotline_figures, name="governance-hotline-figures"),
    path("governance/task-evaluations/", task_evaluations, name="governance-task-evaluations"),
    path(
        "governance/calendars/series/<str:code>.ics",
        series_calendar_ics,
        name="governance-series-calendar",
    ),
    path("governance/calendars/tasks/mine.ics", task_calendar_ics, name="governance-task-calendar"),
    path(
        "governance/calendars/<str:body>.ics",
        calendar_ics,
        name="governance-calendar",
    ),
    *router.urls,
]
