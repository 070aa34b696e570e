"""The lock files: pinned, hash-checked dependencies generated from pyproject.toml.

    python3 deploy/lockfile.py compile UV [uv options]
                                            regenerate both (what `make lock` runs); existing
                                            pins are kept unless an option such as --upgrade
                                            or --upgrade-package NAME says otherwise
    python3 deploy/lockfile.py check        fail when pyproject.toml's dependencies changed
                                            since the locks were made (`make lock-check`, CI)

requirements.lock holds the runtime and dev dependencies (make, CI); requirements-prod.lock the
runtime ones only (the Dockerfile), constrained to the same versions. Each starts with a digest
of pyproject.toml's dependency lists, so the check needs neither the network nor uv.
Standard library only: it runs before any virtualenv exists.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
DEV_LOCK = ROOT / "requirements.lock"
PROD_LOCK = ROOT / "requirements-prod.lock"
LOCKS = (DEV_LOCK, PROD_LOCK)
PYTHON_VERSION = "3.11"  # the Dockerfile's and requires-python's lowest
DIGEST_PREFIX = "# pyproject-dependencies-sha256: "
FIX = "make lock"


def dependencies_digest(pyproject: Path = PYPROJECT) -> str:
    """A digest of what the locks are made from: the dependency lists and requires-python.
    Order and spacing inside the lists do not matter; any other change to pyproject.toml
    does not invalidate the locks."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]

    def normal(requirements: list[str]) -> list[str]:
        return sorted("".join(r.split()).lower() for r in requirements)

    spec = {
        "requires-python": project.get("requires-python", ""),
        "dependencies": normal(project.get("dependencies", [])),
        "optional-dependencies": {
            extra: normal(reqs) for extra, reqs in project.get("optional-dependencies", {}).items()
        },
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def header(digest: str, what: str) -> str:
    return (
        f"# {what}, pinned with hashes. Generated from pyproject.toml by `{FIX}`; do not edit.\n"
        f"{DIGEST_PREFIX}{digest}\n"
    )


def recorded_digest(lock: Path) -> str | None:
    if not lock.exists():
        return None
    for line in lock.read_text(encoding="utf-8").splitlines()[:5]:
        if line.startswith(DIGEST_PREFIX):
            return line[len(DIGEST_PREFIX) :].strip()
    return None


def check() -> int:
    digest = dependencies_digest()
    stale = [lock.name for lock in LOCKS if recorded_digest(lock) != digest]
    if stale:
        print(
            f"{', '.join(stale)} no longer match the dependencies in pyproject.toml. "
            f"Run `{FIX}` and commit {DEV_LOCK.name} and {PROD_LOCK.name}.",
            file=sys.stderr,
        )
        return 1
    print(f"{DEV_LOCK.name} and {PROD_LOCK.name} match pyproject.toml.")
    return 0


def compile_locks(uv: str, options: list[str]) -> int:
    digest = dependencies_digest()
    common = [
        *("pip", "compile", str(PYPROJECT), "--generate-hashes", "--universal"),
        *("--python-version", PYTHON_VERSION, "--no-header", "--quiet"),
    ]
    jobs = [
        # Dev first; the production lock is constrained to its versions, so both agree.
        (DEV_LOCK, "Runtime and dev dependencies (make, CI)", ["--extra", "dev"]),
        (PROD_LOCK, "Runtime dependencies (the Dockerfile)", ["--constraint", str(DEV_LOCK)]),
    ]
    for lock, what, extra in jobs:
        # uv starts from the pins already in the output file: only what changed moves.
        result = subprocess.run(
            [uv, *common, *extra, *options, "--output-file", str(lock)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            sys.stderr.write(result.stderr)
            return result.returncode
        body = lock.read_text(encoding="utf-8")
        if body.startswith("# "):  # a header from an earlier run
            body = "".join(body.splitlines(keepends=True)[2:])
        lock.write_text(header(digest, what) + body, encoding="utf-8")
        print(f"wrote {lock.name}")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["check"] and len(argv) == 1:
        return check()
    if argv[:1] == ["compile"] and len(argv) >= 2:
        return compile_locks(argv[1], argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
