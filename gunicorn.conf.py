"""gunicorn reads this file from its working directory; the configuration is config/gunicorn.py."""

import sys
from pathlib import Path

# gunicorn puts its --chdir on sys.path only after reading this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from config.gunicorn import *  # noqa: F403
