"""The ceiling of bench/api_lists.py: a bare Django JsonResponse view, no DRF, no database.

Mounted at /api/v1/bench/ceiling/ only when the server runs with API_BENCH_CEILING=1."""

from django.http import JsonResponse


def bench_ceiling(request):
    return JsonResponse({"count": 0, "results": []})
