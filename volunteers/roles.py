"""Grid workers record wishes for the residents of their grid (心愿敲门) besides viewing."""

from core.roles import GRID_WORKER

ROLE_PERMISSIONS = {GRID_WORKER: {"volunteers.wish": "add change view"}}
