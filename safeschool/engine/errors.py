"""Exceptions raised by the filter engine."""

from __future__ import annotations


class PolicyError(Exception):
    """A policy could not be loaded; the previous policy (if any) stays in force."""


class SnapshotError(PolicyError):
    """A policy snapshot is corrupt, partial or does not follow the schema."""


class ConfigError(PolicyError):
    """A squidGuard configuration file could not be understood."""

    def __init__(self, message: str, path: str = "", line: int = 0) -> None:
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}")
        self.path = path
        self.line = line


class ListError(PolicyError):
    """A whole list file could not be read."""
