"""Run every benchmark in bench/ (each prints its own measured figures) and report failures.

DATABASE_URL=postgres://postgres@127.0.0.1:5432/gz_bench .venv/bin/python bench/run_all.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in {"run_all.py", "__init__.py"})
    only = set(sys.argv[1:])
    failed: list[str] = []
    for script in scripts:
        if only and script.stem not in only:
            continue
        print(f"===== {script.name}", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        elapsed = time.perf_counter() - started
        status = "ok" if result.returncode == 0 else f"失败（退出码 {result.returncode}）"
        print(f"----- {script.name}: {status}，用时 {elapsed:.1f} s\n", flush=True)
        if result.returncode != 0:
            failed.append(script.name)
    if failed:
        print("失败的基准：" + "、".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
