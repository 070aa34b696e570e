from rest_framework.routers import SimpleRouter

from governance.assessment.api import views

router = SimpleRouter()
router.register("work-lists", views.WorkListVersionViewSet, basename="work-list")
router.register("work-items", views.WorkItemViewSet, basename="work-item")
router.register("admission-requests", views.AdmissionRequestViewSet, basename="admission-request")
router.register("indicator-sets", views.IndicatorSetViewSet, basename="indicator-set")
router.register("indicators", views.IndicatorViewSet, basename="indicator")
router.register("assessments", views.AssessmentViewSet, basename="assessment")
router.register("scores", views.ScoreViewSet, basename="score")
router.register("satisfaction-tallies", views.TallyViewSet, basename="satisfaction-tally")
router.register("assessment-results", views.ResultViewSet, basename="assessment-result")
router.register("rollup-runs", views.RollupRunViewSet, basename="rollup-run")

urlpatterns = router.urls
