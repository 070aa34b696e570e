from rest_framework.routers import SimpleRouter

from grids.api import views

router = SimpleRouter()
router.register("grids", views.GridViewSet, basename="grid")
router.register("grid-workers", views.GridWorkerViewSet, basename="gridworker")
router.register("compounds", views.CompoundViewSet, basename="compound")
router.register("buildings", views.BuildingViewSet, basename="building")
router.register("households", views.HouseholdViewSet, basename="household")
router.register("residents", views.ResidentViewSet, basename="resident")
router.register(
    "central-household-links", views.CentralHouseholdLinkViewSet, basename="centralhouseholdlink"
)
router.register("visit-logs", views.VisitLogViewSet, basename="visitlog")
router.register("cases", views.CaseViewSet, basename="case")
router.register("departments", views.DepartmentViewSet, basename="department")

urlpatterns = router.urls
