"""Loading a policy from either kind of file, and swapping policies safely while serving."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from .errors import PolicyError
from .policy import Policy
from .snapshot import load_snapshot
from .squidguard_conf import load_squidguard_conf


def looks_like_snapshot(path: str | os.PathLike[str]) -> bool:
    """True when the file starts like JSON (a snapshot) rather than a squidGuard.conf."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(64).lstrip()
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy: {exc.strerror or exc}") from exc
    return head.startswith(b"{") or Path(path).suffix == ".json"


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Load a policy snapshot (JSON) or a squidGuard.conf, detected from the content.

    Raises:
        PolicyError: (or its subclasses SnapshotError, ConfigError, ListError) when the file,
            or a list it names, cannot be loaded. Nothing is partly loaded.
    """
    if looks_like_snapshot(path):
        return load_snapshot(path)
    return load_squidguard_conf(path)


class PolicyHolder:
    """Holds the policy in force; a failed reload leaves the previous one serving.

    Daemons call ``holder.policy.decide(...)``; reading the attribute is atomic, so a reload
    on another thread never drops or half-answers a query.
    """

    def __init__(self, path: str | os.PathLike[str], policy: Policy | None = None) -> None:
        self.path = path
        self.policy: Policy | None = policy
        self.last_error: PolicyError | None = None
        self._lock = threading.Lock()

    def reload(self) -> bool:
        """Load the file again. True if the new policy is now in force; False (and
        ``last_error`` set) if loading failed and the previous policy is still in force."""
        with self._lock:
            try:
                new = load_policy(self.path)
            except PolicyError as exc:
                self.last_error = exc
                return False
            except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
                self.last_error = PolicyError(f"{self.path}: {exc}")
                return False
            self.policy = new
            self.last_error = None
            return True
