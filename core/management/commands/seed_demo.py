from django.core.management.base import BaseCommand

from core.demo import DEMO_ADMIN, DEMO_PASSWORD, seed_all


class Command(BaseCommand):
    help = "生成演示数据（可重复执行，不会重复创建）。"

    def handle(self, *args, **options):
        seed_all(self.stdout)
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。"))
        self.stdout.write(f"管理后台演示账号：{DEMO_ADMIN[0]} / {DEMO_ADMIN[1]}（系统管理员）")
        self.stdout.write(
            f"其他演示账号（密码均为 {DEMO_PASSWORD}）：street（街道管理员）、"
            "yuanlin（园林社区书记）、shengli（胜利社区干部）、district（区级只读）"
        )
