"""gunicorn's configuration, read by the master before it forks any worker.

Settings are validated here, once: a missing SECRET_KEY or a malformed DATABASE_URL stops the
master with the same one sentence and exit code 2 as ``manage.py`` and Celery, instead of each
worker failing and being respawned in a loop. gunicorn finds it through ./gunicorn.conf.py in a
checkout (and the image), or as ``gunicorn -c python:config.gunicorn`` where the project is
installed with ``pip install .``. Command-line options override what is set here.
"""

from django.conf import settings

from config.env import load_settings_or_exit

load_settings_or_exit()

__all__ = ["accesslog", "loglevel", "timeout", "wsgi_app"]  # what ./gunicorn.conf.py takes
wsgi_app = "config.wsgi:application"
timeout = 120
accesslog = "-"
loglevel = settings.LOG_LEVEL.lower()
