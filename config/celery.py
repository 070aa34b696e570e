import os

from celery import Celery
from celery.signals import worker_ready

from config.env import ConfigurationError, fail_fast

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class App(Celery):
    def _load_config(self):
        # Settings load lazily, on the worker's or beat's first look at the configuration: a bad
        # environment stops them with the same one sentence as manage.py, not a traceback.
        try:
            return super()._load_config()
        except ConfigurationError as exc:
            fail_fast(exc)


app = App("gongzhi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _sweep_outbox_on_start(sender=None, **kwargs):
    """Tasks kept in the database while the broker was down are queued when a worker starts
    (beat also sweeps every minute)."""
    sender.app.send_task("core.outbox_sweep", ignore_result=True)
