from covenants.admin import activities, agreements, lists, units  # noqa: F401
