from governance.admin import meetings, notifications, tasks  # noqa: F401
