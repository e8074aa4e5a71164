from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from safeschool.accounts import throttle
from safeschool.accounts.forms import LoginForm
from safeschool.accounts.models import User
from safeschool.audit import services as audit


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


@login_not_required
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            user = form.get_user()
            login(request, user)
            throttle.clear_failures(user.get_username())
            audit.record("user.logged_in", actor=user, subject=user, request=request)
            return redirect(_safe_next(request))
        username = request.POST.get("username", "")[:150]
        known = User.objects.filter(username__iexact=username).first()
        if form.has_error(NON_FIELD_ERRORS, "locked"):
            action = "user.login_locked"
        else:
            action = "user.login_failed"
            throttle.note_failure(username, audit.client_address(request))
        audit.record(action, subject=known, data={"username": username}, request=request)
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request)})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    audit.record("user.logged_out", actor=user, subject=user, request=request)  # type: ignore[arg-type]
    logout(request)
    messages.info(request, "You have logged out.")
    return redirect("accounts:login")


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        audit.record("user.password_changed", actor=user, subject=user, request=request)
        messages.success(request, "Your password has been changed.")
        return redirect("schools:home")
    return render(request, "accounts/password_change.html", {"form": form})
