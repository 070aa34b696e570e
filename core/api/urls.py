from django.urls import path

from core.api.jobs import ImportJobCancelView, ImportJobDetailView

urlpatterns = [
    path("import-jobs/<int:pk>/", ImportJobDetailView.as_view(), name="import-job-detail"),
    path("import-jobs/<int:pk>/cancel/", ImportJobCancelView.as_view(), name="import-job-cancel"),
]
