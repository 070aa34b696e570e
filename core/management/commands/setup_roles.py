from django.core.management.base import BaseCommand

from core.roles import setup_roles


class Command(BaseCommand):
    help = "创建或更新角色（用户组）及其权限；可重复执行。"

    def handle(self, *args, **options):
        setup_roles(stdout=self.stdout)
