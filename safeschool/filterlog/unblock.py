"""What happens to an unblock request when the change it became is decided."""

from __future__ import annotations

from typing import Any


def change_decided(change: Any, allowed: bool) -> None:
    """Mark the request allowed or kept blocked when its change is approved or rejected."""
    from safeschool.filterlog.models import UnblockRequest

    status = UnblockRequest.Status.ALLOWED if allowed else UnblockRequest.Status.KEPT
    UnblockRequest.objects.filter(pk=change.unblock_request_id).update(status=status)
