"""Poll a container until it is ready, with stepped backoff through the injected Clock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from contentloop.domain.clock import Clock

from .errors import ContainerFailed, ContainerTimeout

if TYPE_CHECKING:
    from .client import ContainerStatus, GraphClient

#: Seconds between polls; the last step repeats (spec 1.4: 2, 5, 10, 30, then 60 s).
POLL_STEPS: tuple[float, ...] = (2, 5, 10, 30, 60)
IMAGE_DEADLINE_S = 120.0
VIDEO_DEADLINE_S = 600.0

#: ERROR subcodes worth a fresh container (download/processing hiccups, spec 6.6).
RETRYABLE_ERROR_SUBCODES = frozenset({2207082, 2207052, 2207003, 2207053, 2207020, 2207077})


def wait_until_finished(
    client: GraphClient,
    container_id: str,
    clock: Clock,
    deadline_s: float = IMAGE_DEADLINE_S,
    steps: Sequence[float] = POLL_STEPS,
) -> ContainerStatus:
    """Return the status once FINISHED (or PUBLISHED: the caller must not publish again).

    Raises ContainerFailed on ERROR/EXPIRED and ContainerTimeout past the deadline.
    """
    started = clock.now()
    i = 0
    while True:
        st = client.container_status(container_id)
        if st.status_code in ("FINISHED", "PUBLISHED"):
            return st
        if st.status_code == "EXPIRED":
            raise ContainerFailed(container_id, "EXPIRED", status=st.status, new_container=True)
        if st.status_code == "ERROR":
            # An unknown subcode gets one fresh container too: the publisher bounds re-creation.
            retry = st.subcode is None or st.subcode in RETRYABLE_ERROR_SUBCODES
            raise ContainerFailed(
                container_id, "ERROR", subcode=st.subcode, status=st.status, new_container=retry
            )
        waited = (clock.now() - started).total_seconds()
        step = steps[min(i, len(steps) - 1)]
        if waited + step > deadline_s:
            raise ContainerTimeout(container_id, waited, st.status_code or "unknown")
        clock.sleep(step)
        i += 1
