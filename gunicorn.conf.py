"""gunicorn's configuration, read by the master before it forks any worker.

Settings are validated here, once: a missing SECRET_KEY or a malformed DATABASE_URL stops the
master with the same one sentence and exit code 2 as ``manage.py`` and Celery, instead of each
worker failing and being respawned in a loop. Command-line options override what is set here.
"""

import sys
from pathlib import Path

# gunicorn puts its --chdir on sys.path only after reading this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from config.env import load_settings_or_exit

load_settings_or_exit()

wsgi_app = "config.wsgi:application"
timeout = 120
accesslog = "-"
