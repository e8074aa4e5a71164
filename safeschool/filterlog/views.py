"""The block page. Anyone may see it and ask for a page to be unblocked: a blocked child may
not be signed in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from safeschool.filterlog import services
from safeschool.filterlog.forms import UnblockForm
from safeschool.filterlog.words import category_label, explain

_FIELDS = ("url", "category", "rule", "group")


@login_not_required
@require_http_methods(["GET", "POST"])
def blocked(request: HttpRequest) -> HttpResponse:
    """What was blocked and why, with a "this shouldn't be blocked" button."""
    source = request.POST if request.method == "POST" else request.GET
    details = {key: source.get(key, "")[:4000] for key in _FIELDS}
    form = UnblockForm(request.POST or None, initial=details)
    sent = False
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.request_unblock(request, **form.cleaned_data)
            sent = True
        except PermissionDenied as refusal:
            form.add_error(None, str(refusal))
            status = 429
    elif request.method == "POST":
        status = 400
    context = {
        "details": details,
        "category": category_label(details["category"]) if details["category"] else "",
        "why": explain(details["category"], details["rule"]),
        "can_ask": details["rule"] != "illegal" and details["category"] != "illegal",
        "form": form,
        "sent": sent,
    }
    return render(request, "filterlog/blocked.html", context, status=status)
