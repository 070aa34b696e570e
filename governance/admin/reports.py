"""Staff report pages: 接诉即办 figures (/admin/reports/hotline/) and the 上考下评 task-evaluation
report (/admin/reports/task-evaluations/), each with a chart, a table and an XLSX export."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote, urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from core.importing import CONTENT_TYPES, write_table
from governance import evaluations, hotline
from governance.cadence import shanghai_today


def _download(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}.xlsx"
    return response


def _bars(labels_values: list[tuple[str, float | None]], top: float = 100.0) -> list[dict]:
    top = max([top, *[v for _, v in labels_values if v is not None]]) or 1
    bars = []
    for i, (label, value) in enumerate(labels_values):
        width = round((value or 0) / top * 300, 1)
        bars.append(
            {
                "label": label,
                "value": "—" if value is None else value,
                "width": width,
                "text_y": i * 26 + 16,
                "bar_y": i * 26 + 4,
                "text_x": width + 166,
            }
        )
    return bars


def hotline_report(request):
    if not request.user.has_perm("grids.view_case"):
        raise PermissionDenied
    today = shanghai_today()
    try:
        month = hotline.parse_month(request.GET.get("month"), today)
    except ValueError:
        month = today.replace(day=1)
    level = request.GET.get("level") if request.GET.get("level") in hotline.LEVELS else "community"
    rows = hotline.hotline_figures(request.user, month, level)
    title = f"接诉即办 {month:%Y年%m月} · 按{hotline.LEVELS[level]}"
    if request.GET.get("file_format") == "xlsx":
        headers = [h for _, h in hotline.HEADERS]
        return _download(write_table(headers, hotline.table(rows), "xlsx", "接诉即办"), title)
    return TemplateResponse(
        request,
        "admin/governance/hotline.html",
        {
            **admin.site.each_context(request),
            "title": title,
            "months": hotline.previous_months(today),
            "month": month,
            "level": level,
            "levels": hotline.LEVELS.items(),
            "headers": [h for _, h in hotline.HEADERS],
            "rows": [(hotline.table([r])[0], hotline.drill_url(r)) for r in rows],
            "bars": _bars([(r.name, r.score) for r in rows]),
            "chart_height": len(rows) * 26 + 8,
            "export": "?"
            + urlencode({"month": f"{month:%Y-%m}", "level": level, "file_format": "xlsx"}),
        },
    )


def _period(request) -> tuple[date, date]:
    today = shanghai_today()
    try:
        first = date.fromisoformat(request.GET.get("start") or f"{today:%Y-%m}-01")
        last = date.fromisoformat(request.GET.get("end") or today.isoformat())
    except ValueError:
        first, last = today.replace(day=1), today
    return (first, last) if first <= last else (last, first)


def evaluation_report(request):
    if not request.user.has_perm("governance.view_task"):
        raise PermissionDenied
    first, last = _period(request)
    by = request.GET.get("by") if request.GET.get("by") in evaluations.GROUPINGS else "community"
    rows = evaluations.evaluation_report(request.user, first, last, by)
    title = f"派单双向评价（上考下评）{first:%Y-%m-%d} 至 {last:%Y-%m-%d} · 按{evaluations.GROUPINGS[by]}"
    if request.GET.get("file_format") == "xlsx":
        headers = [h for _, h in evaluations.HEADERS]
        return _download(write_table(headers, evaluations.table(rows), "xlsx", "上考下评"), title)
    return TemplateResponse(
        request,
        "admin/governance/evaluations.html",
        {
            **admin.site.each_context(request),
            "title": title,
            "start": first,
            "end": last,
            "by": by,
            "groupings": evaluations.GROUPINGS.items(),
            "headers": [h for _, h in evaluations.HEADERS],
            "rows": evaluations.table(rows),
            "bars": _bars([(r.name, r.upper_average) for r in rows], top=5),
            "chart_height": len(rows) * 26 + 8,
            "export": "?"
            + urlencode(
                {
                    "start": first.isoformat(),
                    "end": last.isoformat(),
                    "by": by,
                    "file_format": "xlsx",
                }
            ),
        },
    )


def _extend_site_urls(site) -> None:
    previous = site.get_urls

    def get_urls():
        wrap = site.admin_view
        return [
            path("reports/hotline/", wrap(hotline_report), name="report_hotline"),
            path(
                "reports/task-evaluations/",
                wrap(evaluation_report),
                name="report_task_evaluations",
            ),
            *previous(),
        ]

    site.get_urls = get_urls


_extend_site_urls(admin.site)
