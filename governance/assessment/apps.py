from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    """Work list, admission (准入), assessment (考核) with roll-ups, and the dashboard's data.

    A sub-app of governance with its own migrations, so meetings/tasks and these can evolve apart.
    """

    name = "governance.assessment"
    label = "assessment"
    verbose_name = "清单、准入与考核"

    def ready(self) -> None:
        # The dashboard's providers register themselves on import. They import the
        # registry (``dashboard``), never the other way round, so the registry is completed
        # here, once the apps are loaded. The same for the Celery tasks: services queue
        # them by name, so the tasks must be registered even where no worker autodiscovers
        # them (eager mode in development and tests).
        from governance.assessment import dashboard_providers, tasks  # noqa: F401
