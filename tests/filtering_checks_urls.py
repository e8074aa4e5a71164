"""The project's URLs with the filtering checks included in the `filtering` namespace.

Used by the checks and reviews tests only until `safeschool/filtering/urls.py` includes
`urls_checks`; once it does, `use_checks_urls` leaves the real URLs alone and this module can go.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import NoReverseMatch, include, path, reverse

from safeschool import urls as project_urls
from safeschool.filtering import urls as filtering_urls
from safeschool.filtering import urls_checks

_filtering = (filtering_urls.urlpatterns + urls_checks.urlpatterns, "filtering")
urlpatterns: list[Any] = [
    p for p in project_urls.urlpatterns if getattr(p, "app_name", None) != "filtering"
] + [path("", include(_filtering))]


def checks_urls_wired() -> bool:
    try:
        reverse("filtering:checks", kwargs={"slug": "oakfield"})
    except NoReverseMatch:
        return False
    return True


@pytest.fixture(autouse=True)
def use_checks_urls(settings: Any) -> None:
    if not checks_urls_wired():
        settings.ROOT_URLCONF = __name__
