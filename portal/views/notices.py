"""公开信息: one page per community with each kind of public record the other apps mark public."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal import selectors
from portal.accounts import home_code
from portal.adapters import features
from portal.adapters import notices as notice_adapters


@require_GET
def notices(request):
    if not features()["notices"]:
        raise Http404("暂未开通")
    code = request.GET.get("community", "") if "community" in request.GET else home_code(request)
    community = selectors.community_by_code(code) if code else None
    context = {"community": community, "communities": selectors.community_list()}
    if community is not None:
        context.update(notice_adapters.notices_for(community))
    return render(request, "portal/notices.html", context)
