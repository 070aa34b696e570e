from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "数据推送（Webhook）"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import events
        from webhooks import tasks  # noqa: F401 (registered for in-process runs without a broker)
        from webhooks.services.events import on_event

        events.connect(on_event)
