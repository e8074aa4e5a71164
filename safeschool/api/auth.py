"""Bearer-token authentication for the JSON API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from safeschool.api.models import ApiToken, hash_token

View = Callable[..., HttpResponse]


def _token_from(request: HttpRequest) -> ApiToken | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() not in {"bearer", "token"} or not secret.strip():
        return None
    token = (
        ApiToken.objects.select_related("user", "school")
        .filter(digest=hash_token(secret.strip()), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is not None:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


def token_required(view: View) -> View:
    """Authenticate by token; the view gets the token's user as request.user and its school."""

    @csrf_exempt
    @login_not_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        token = _token_from(request)
        if token is None:
            return JsonResponse(
                {"detail": "A valid API token is required."},
                status=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        request.user = token.user
        return view(request, token.school, *args, **kwargs)

    return wrapper
