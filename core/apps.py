from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "系统"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from core.api import speedups
        from core.roles import setup_roles_after_migrate
        from core.users import install_user_display

        # str(user) masks a resident's phone-number username everywhere it is shown.
        install_user_display()

        speedups.install()

        post_migrate.connect(setup_roles_after_migrate, dispatch_uid="core.setup_roles")
