"""docs/integrators.md: every ```sh block that starts with ``curl`` is run with the real curl
against a live test server holding demo-like data (the demo's codes TD, TD-ZQ, TD-ZQ-YL), and
its answer is checked against the line under it: ``# → <status>`` optionally followed by
``JSON: key, key`` (the body is a JSON object with those keys) or ``text/calendar``.

Decision: subprocess curl (present on the CI image and the dev machine); the blocks run in bash
with ``BASE``, ``TOKEN`` and ``PASSWORD`` set, in a temporary directory (the export block writes
the file the import block sends)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

DOC = Path(settings.BASE_DIR) / "docs" / "integrators.md"
EXPECT = re.compile(r"^# → (\d{3})(?: (?:JSON: (?P<keys>.+)|(?P<type>text/calendar)))?$", re.M)
PASSWORD = "integration-pw-4711"

# The wrapper keeps the doc's commands as readers type them: curl writes the body to a file
# (unless the command names its own -o) and the status and content type after it.
WRAPPER = r"""
curl() {
  case " $* " in
    *" -o "*) command curl -sS -w '\n%{content_type}\n%{http_code}' "$@" > "$META" ;;
    *) command curl -sS -o "$BODY" -w '\n%{content_type}\n%{http_code}' "$@" > "$META" ;;
  esac
}
"""


def curl_blocks() -> list[tuple[str, str]]:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    found = []
    for block in blocks:
        if not block.lstrip().startswith("curl"):
            continue
        first = block.strip().splitlines()[0]
        found.append((first, block))
    return found


def test_the_guide_has_its_sections_and_examples():
    text = DOC.read_text(encoding="utf-8")
    for heading in (
        "## Authentication",
        "## Codes, not ids",
        "## Lists and pagination",
        "## Errors",
        "## Files and import jobs",
        "## Calendar feeds",
        "## Webhooks",
        "## Open311",
    ):
        assert heading in text, heading
    assert "(webhooks.md)" in text and "(open311.md)" in text and "?cursor=" in text
    blocks = curl_blocks()
    assert len(blocks) >= 10
    assert all(EXPECT.search(block) for _, block in blocks), [
        first for first, block in blocks if not EXPECT.search(block)
    ]
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    assert "docs/integrators.md" in readme


@pytest.fixture
def demo_like(transactional_db, roles):
    from core.roles import STREET_ADMIN
    from core.tokens import token_issue
    from tests.conftest import make_user
    from tests.factories import OrganizationFactory
    from volunteers.models import Skill

    district = OrganizationFactory(code="TD", name="铁东区", kind="district_committee")
    street = OrganizationFactory(
        code="TD-ZQ", name="站前街道党工委", kind="street_committee", parent=district
    )
    OrganizationFactory(code="TD-ZQ-YL", name="园林社区大党委", parent=street)
    Skill.objects.create(code="medical", name="医疗护理")
    user = make_user("integration-demo", role=STREET_ADMIN, scope=[street])
    user.set_password(PASSWORD)
    user.save()
    _, key = token_issue(user=user, name="doc-test")
    return key


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_every_curl_example_answers_as_documented(live_server, demo_like, tmp_path):
    blocks = curl_blocks()
    failures = []
    for first, block in blocks:
        expected = EXPECT.search(block)
        body, meta = tmp_path / "body", tmp_path / "meta"
        for path in (body, meta):
            path.unlink(missing_ok=True)
        env = {
            **os.environ,
            "BASE": live_server.url,
            "TOKEN": demo_like,
            "PASSWORD": PASSWORD,
            "BODY": str(body),
            "META": str(meta),
        }
        run = subprocess.run(
            ["bash", "-c", WRAPPER + block],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if run.returncode != 0 or not meta.exists():
            failures.append(f"{first}: curl failed: {run.stderr.strip()}")
            continue
        *_, content_type, status = meta.read_text().splitlines()
        if status != expected.group(1):
            detail = body.read_text()[:300] if body.exists() else ""
            failures.append(f"{first}: {status} instead of {expected.group(1)} {detail}")
            continue
        if expected.group("type"):
            if not content_type.startswith(expected.group("type")):
                failures.append(f"{first}: {content_type}")
            elif b"BEGIN:VCALENDAR" not in body.read_bytes():
                failures.append(f"{first}: not a calendar")
        if expected.group("keys"):
            keys = {k.strip() for k in expected.group("keys").split(",")}
            data = json.loads(body.read_text())
            if not isinstance(data, dict) or not keys <= set(data):
                failures.append(f"{first}: keys {sorted(data)} lack {sorted(keys - set(data))}")
    assert not failures, "\n".join(failures)
