"""The global search of the header (controlling.selectors.search)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from controlling.selectors import search as finder
from kam.http import AuthenticatedRequest


@login_required
@require_safe
def search(request: AuthenticatedRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    groups = finder.search(user=request.user, query=query)
    context = {
        "query": query,
        "groups": groups,
        "total": sum(group.count for group in groups),
        "too_short": bool(query) and len(query) < finder.MIN_QUERY_LENGTH,
        "min_length": finder.MIN_QUERY_LENGTH,
    }
    return render(request, "controlling/search.html", context)
