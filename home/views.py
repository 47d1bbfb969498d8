from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe


@require_safe
def switch_language(request, code):
    """The footer's language links (R34). A link rather than Django's POST form: the form
    needs a CSRF token, which would keep every public page out of the shared page cache,
    and a language preference is not worth protecting against cross-site requests.

    HEAD (a link checker, a crawler) gets the same redirect without the cookie: HEAD is
    safe, so it must not switch anyone's language."""
    if code not in dict(settings.LANGUAGES):
        raise Http404
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if request.method == "HEAD":
        return response
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


@require_safe
def privacy(request):
    """隐私政策: what the platform collects, why, who sees it, how long it is kept and how to
    have it corrected or erased (PIPL arts. 14, 17). Registration asks for consent to it."""
    return render(
        request,
        "home/privacy.html",
        {"login_record_days": settings.LOGIN_RECORD_RETENTION_DAYS},
    )
