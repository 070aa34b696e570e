"""The printable agreement (HTML, A4; the browser prints or saves it as PDF)."""

from __future__ import annotations

from covenants.choices import AgreementStatus
from covenants.clauses import clause_label
from covenants.models import Agreement


def print_context(agreement: Agreement) -> dict:
    return {
        "agreement": agreement,
        "clauses": [(clause_label(c.number), c.text) for c in agreement.clauses.all()],
        "projects": list(agreement.projects.all()),
        "is_draft": agreement.status == AgreementStatus.DRAFT,
        "title": f"{agreement.title}（{agreement.code}）",
    }
