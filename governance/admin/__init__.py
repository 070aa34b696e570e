from governance.admin import meetings, notifications, reports, tasks  # noqa: F401
