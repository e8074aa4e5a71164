"""SafeSchool's filter engine: pure Python, no Django.

One fast decision for every URL and domain, shared by the DNS filter, the Squid helper, the web
app and monitoring. Start with :func:`load_policy` and :meth:`Policy.decide`.
"""

from __future__ import annotations

from .decision import ALLOW, BLOCK, REWRITE, Decision
from .errors import ConfigError, ListError, PolicyError, SnapshotError
from .holder import PolicyHolder, load_policy
from .lists import Problem
from .policy import Policy
from .searchterms import extract_search_terms
from .snapshot import FORMAT, SUPPORTED_VERSIONS, load_snapshot, parse_snapshot, write_snapshot
from .squidguard_conf import load_squidguard_conf

__all__ = [
    "ALLOW",
    "BLOCK",
    "FORMAT",
    "REWRITE",
    "SUPPORTED_VERSIONS",
    "ConfigError",
    "Decision",
    "ListError",
    "Policy",
    "PolicyError",
    "PolicyHolder",
    "Problem",
    "SnapshotError",
    "extract_search_terms",
    "load_policy",
    "load_snapshot",
    "load_squidguard_conf",
    "parse_snapshot",
    "write_snapshot",
]
