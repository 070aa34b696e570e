"""Staff pages: the dashboard (数据看板) and the appraisal / unit-assessment reports."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import admin
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse

from core.importing import CONTENT_TYPES, write_table
from core.scope import in_scope
from governance.assessment.dashboard import admin_url, build_dashboard
from governance.assessment.reports import REPORTS
from organizations.models import Organization


def _root(request) -> Organization | None:
    code = request.GET.get("community") or request.GET.get("root")
    if not code:
        return None
    root = Organization.objects.filter(code=code).first()
    if root is None or not in_scope(request.user, root):
        raise Http404
    return root


def _download(content: bytes, name: str, fmt: str = "xlsx") -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}.{fmt}"
    return response


def dashboard(request):
    root = _root(request)
    communities, panels = build_dashboard(request.user, root)
    return TemplateResponse(
        request,
        "admin/assessment/dashboard.html",
        {
            **admin.site.each_context(request),
            "title": f"数据看板 · {root}" if root else "数据看板",
            "root": root,
            "communities": communities,
            "panels": panels,
        },
    )


def dashboard_export(request):
    root = _root(request)
    _, panels = build_dashboard(request.user, root)
    key = request.GET.get("panel")
    if key:
        panels = [p for p in panels if p.key == key]
        if not panels:
            raise Http404
    rows = []
    for panel in panels:
        if not panel.available:
            rows.append([panel.title, "暂无数据"])
            continue
        rows.append([panel.title, *panel.columns])
        for row in [*panel.rows, *([panel.total] if panel.total else [])]:
            rows.append(["", *row])
        rows.append([])
    name = panels[0].title if key else "数据看板"
    return _download(write_table(["看板项", "内容"], rows, "xlsx", "数据看板"), name)


def _report(request, key: str):
    report = REPORTS[key]
    context = {
        **admin.site.each_context(request),
        "title": f"{report.title}报表",
        "report": report,
    }
    if not report.available:
        context["unavailable"] = True
        return TemplateResponse(request, "admin/assessment/report.html", context)
    years = report.years(request.user)
    try:
        year = int(request.GET.get("year") or (years[0] if years else 0)) or None
    except ValueError:
        year = None
    rows, grades = report.table(request.user, year)
    if request.GET.get("format") == "xlsx":
        headers = [h for h, _ in report.columns]
        return _download(
            write_table(headers, rows, "xlsx", report.title), f"{report.title}{year or ''}"
        )
    top = max((n for _, n in grades), default=0) or 1
    context.update(
        {
            "years": years,
            "year": year,
            "headers": [h for h, _ in report.columns],
            "rows": rows,
            "grades": [
                {
                    "label": g,
                    "count": n,
                    "width": round(n / top * 300, 1),
                    "text_y": i * 26 + 16,
                    "bar_y": i * 26 + 4,
                    "text_x": round(n / top * 300, 1) + 86,
                }
                for i, (g, n) in enumerate(grades)
            ],
            "chart_height": len(grades) * 26 + 8,
            "admin_list": admin_url(report.admin_list, f"year={year}" if year else ""),
        }
    )
    return TemplateResponse(request, "admin/assessment/report.html", context)


def appraisal_report(request):
    return _report(request, "appraisal")


def unit_report(request):
    return _report(request, "units")
