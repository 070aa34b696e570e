"""Benchmark: reading one member roster (XLSX and the same rows as CSV) with each reader.

No database. Builds N member rows (the shape of ``members_import.py``), then times, each in
its own forked process (CPU seconds and peak RSS its own), walking every line as text:
  - ``core.reading.read_table`` on the XLSX (python-calamine plus the byte scan for formulas
    and bounds), and on the same rows as UTF-8 CSV;
  - openpyxl read-only (``iter_rows(values_only=True)``), what the household roster used;
  - the hand-written ElementTree reader the member importer used until it was replaced,
    loaded from git history (the version before the commit that deleted
    ``organizations/member_xlsx.py``) when git is available.
Prints rows per CPU-second for each and calamine's share (scan vs parse).

    .venv/bin/python bench/xlsx_readers.py --rows 5000
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
OLD_READER = "organizations/member_xlsx.py"


def old_reader():
    """The replaced ElementTree reader, or None when its source is not in git here."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, check=True, text=True
        ).stdout

    try:
        deleted = git("log", "--diff-filter=D", "-1", "--format=%H", "--", OLD_READER).strip()
        if not deleted:
            return None
        source = git("show", f"{deleted}~1:{OLD_READER}")
    except (OSError, subprocess.CalledProcessError):
        return None
    # It imported helpers that now live in core.reading under other names.
    source = source.replace(
        "from core.importing import FileRejected, _cell_text, _looks_like_formula",
        "from core.reading import FileRejected, cell_text as _cell_text\n"
        "from core.reading import looks_like_formula as _looks_like_formula",
    )
    module = types.ModuleType("old_member_xlsx")
    exec(compile(source, "old_member_xlsx.py", "exec"), module.__dict__)
    return module.fast_xlsx_rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()

    import django

    django.setup()
    from members_import import build_members_xlsx, in_child

    from core.reading import read_table, scan_sheet
    from organizations.importers import MemberImporter

    branches = [f"TD-S01-C{i:02d}-{j:02d}" for i in range(1, 9) for j in range(1, 9)]
    units = [f"TD-U{i:03d}" for i in range(1, 62)]
    data = build_members_xlsx(branches, units, args.rows)
    import openpyxl

    sheet = MemberImporter.sheet_name
    lines = list(openpyxl.load_workbook(io.BytesIO(data), read_only=True)[sheet].values)
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["" if v is None else v for v in row] for row in lines])
    csv_data = buffer.getvalue().encode("utf-8")
    print(
        f"{args.rows} 行党员（{len(lines[0])} 列）：XLSX {len(data) / 1024:.0f} KB，"
        f"CSV {len(csv_data) / 1024:.0f} KB"
    )

    def walk(table) -> int:
        return sum(1 for values, _ in table if values)

    def openpyxl_read():
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        count = sum(1 for row in workbook[sheet].iter_rows(values_only=True) if row)
        workbook.close()
        return count

    def scan_only():
        import zipfile

        with zipfile.ZipFile(io.BytesIO(data)).open("xl/worksheets/sheet1.xml") as stream:
            return scan_sheet(stream).rows

    readers = [
        ("read_table XLSX（calamine）", lambda: walk(read_table(data, "m.xlsx", sheet))),
        ("  其中：字节扫描（公式、范围）", scan_only),
        ("read_table CSV", lambda: walk(read_table(csv_data, "m.csv", sheet))),
        ("openpyxl 只读模式", openpyxl_read),
    ]
    old = old_reader()
    if old is not None:
        readers.append(("原手写 ElementTree 读取器", lambda: walk(old(data, sheet))))
    else:
        print("（未找到原读取器的 git 历史，跳过）")
    for name, work in readers:
        count, seconds, peak, cpu = in_child(work)
        print(
            f"{name}：CPU {cpu:.2f} s，墙钟 {seconds:.2f} s，{args.rows / cpu:,.0f} 行/CPU秒，"
            f"进程峰值 {peak:.0f} MB（{count} 行）"
        )
    print(
        f"负载（1/5/15 分钟）：{'/'.join(f'{x:.1f}' for x in os.getloadavg())}，"
        f"CPU {os.cpu_count()} 核；{time.strftime('%H:%M:%S', time.gmtime())} UTC"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
