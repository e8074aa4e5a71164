"""Browsers the DNS filter sent here: a request for another site's name gets the block page.

The DNS filter answers a blocked name with the web app's own address, so the browser arrives
asking for that name (``Host: games.example``). Django would refuse the request with "400 Bad
Request" (the name is not in ``ALLOWED_HOSTS``); instead this middleware, first in the list,
sends the browser to the block page at ``SAFESCHOOL_BLOCK_URL``, with the site's address and,
when the filter's log already holds it, the category and reason. Nothing in the answer is built
from the request's host except the escaped ``url`` parameter, so a forged Host header gains
nothing. Only plain HTTP can arrive this way: for an HTTPS site the browser stops at the
certificate warning before any request is made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.request import split_domain_port, validate_host
from django.utils import timezone

RECENT = timedelta(minutes=10)


def dns_blocked_sites(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[..., Any]:
    """Middleware factory: see the module's description."""

    def middleware(request: HttpRequest) -> HttpResponse:
        domain, _ = split_domain_port(request.META.get("HTTP_HOST", ""))
        if domain and not validate_host(domain, settings.ALLOWED_HOSTS):
            return blocked_site(request, domain)
        return get_response(request)

    return middleware


def blocked_site(request: HttpRequest, domain: str) -> HttpResponse:
    """The answer for a request that names a site other than this one."""
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse(
            "This website is blocked by your school's filter.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    else:
        details = {"url": f"http://{domain}{request.get_full_path()}"[:4000]}
        details.update(_logged_reason(domain, request.META.get("REMOTE_ADDR")))
        response = HttpResponseRedirect(f"{settings.SAFESCHOOL_BLOCK_URL}?{urlencode(details)}")
    response["Cache-Control"] = "no-store"
    return response


def _logged_reason(domain: str, client: str | None) -> dict[str, str]:
    """Category, rule and group of this device's latest block of the site, if logged."""
    from safeschool.filterlog.models import FilterEvent

    found = (
        FilterEvent.objects.filter(
            host=domain.lower().rstrip("."),
            client=client,
            action="block",
            at__gte=timezone.now() - RECENT,
        )
        .order_by("-at")
        .values("category", "rule", "group")
        .first()
    )
    return {key: str(value) for key, value in found.items() if value} if found else {}
