from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "从 CSV/XLSX 文件导入数据：默认只预检，加 --commit 才写入（全部成功或全部不写入）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "importer", help="导入器路径，如 organizations.importers.OrganizationImporter"
        )
        parser.add_argument("file")
        parser.add_argument("--user", default=None, help="以该用户的管辖范围导入（默认系统管理员）")
        parser.add_argument("--commit", action="store_true")

    def handle(self, *args, importer, file, user, commit, **options):
        User = get_user_model()
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"用户 {user} 不存在。")
        else:
            actor = User.objects.filter(is_superuser=True).order_by("pk").first()
            if actor is None:
                raise CommandError("没有系统管理员账号，请用 --user 指定导入人。")
        importer_class = import_string(importer)
        path = Path(file)
        result = importer_class(actor).run(path.read_bytes(), path.name, dry_run=not commit)
        for error in result.errors:
            self.stderr.write(str(error))
        if result.errors:
            raise CommandError(f"共 {len(result.errors)} 处错误，未写入任何数据。")
        verb = "已导入" if result.committed else "预检通过（未写入，加 --commit 写入）"
        self.stdout.write(f"{verb}：新增 {result.created}，更新 {result.updated}。")
