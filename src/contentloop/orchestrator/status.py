"""Read-only views of the store for the CLI and dashboard: nothing here changes state."""

from __future__ import annotations

from typing import Any

from ..config import Settings
from ..domain import PostState, SystemClock
from ..store import Store
from ..store.publish_repo import lateness


def publish_status(settings: Settings, account: str | None = None) -> list[dict[str, Any]]:
    """Every post with its state and, for retries and failures, the reason in plain words."""
    store = Store(settings.resolved_database_url, SystemClock())
    try:
        late = {x.post_id: x.lateness_s for x in lateness(store, account)}
        rows = []
        for post in store.posts(account=account):
            reason = ""
            if post.state in (PostState.FAILED, PostState.RETRY_WAIT) or post.last_error:
                reason = post.last_error
                if post.state is PostState.RETRY_WAIT and post.next_attempt_at:
                    reason = f"next try {post.next_attempt_at.isoformat()}: {reason}"
            rows.append(
                {
                    "post": post.id,
                    "account": post.account,
                    "scheduled_at": post.scheduled_at.isoformat(),
                    "state": post.state.value,
                    "media_id": post.media_id,
                    "attempts": post.attempts,
                    "lateness_s": late.get(post.id),
                    "reason": reason,
                }
            )
        return rows
    finally:
        store.close()
