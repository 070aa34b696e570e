import os

from celery import Celery

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
