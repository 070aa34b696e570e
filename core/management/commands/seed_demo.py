import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.demo import DEMO_ADMIN, DEMO_PASSWORD, seed_all


class Command(BaseCommand):
    help = "生成演示数据（可重复执行，不会重复创建）。生产模式下需加 --i-know-this-is-production。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--i-know-this-is-production",
            action="store_true",
            dest="production_confirmed",
            help="在生产模式下仍然生成演示数据；账号使用随机生成的密码（只显示这一次）。",
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            if not options["production_confirmed"]:
                raise CommandError(
                    "当前是生产模式（APP_ENV=production），不生成演示数据；"
                    "确需生成请加 --i-know-this-is-production。"
                )
            # Never the published password on a production site.
            password = secrets.token_urlsafe(18)
        else:
            password = DEMO_PASSWORD
        seed_all(self.stdout, password=password)
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。"))
        self.stdout.write(f"管理后台演示账号：{DEMO_ADMIN[0]} / {password}（系统管理员）")
        self.stdout.write(
            f"其他演示账号（密码均为 {password}）：street（街道管理员）、"
            "yuanlin（园林社区书记）、shengli（胜利社区干部）、district（区级只读）"
        )
        if password != DEMO_PASSWORD:
            self.stdout.write(
                self.style.WARNING(
                    "以上密码随机生成，只显示这一次，适用于本次新建的账号和原先使用公开演示密码的"
                    "账号；已改过密码的账号保持原密码。"
                )
            )
