from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from activities.listing import SortChoices, build


@require_safe
def search(request):
    """Search (R29): the listing's filters plus relevance order. No write per request:
    unlike Wagtail's starter search view, queries are not recorded."""
    context = build(request.GET, default_sort=SortChoices.RELEVANCE)
    return TemplateResponse(request, "search/search.html", context)
