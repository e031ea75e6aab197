"""Exactly-once publishing: a post goes live once, even across crashes and lost responses.

The rule (DESIGN.md, "The post's life"): the container id is made durable *before*
`media_publish` is called, and any attempt that finds a container id first asks the API
for its `status_code`. PUBLISHED means the post is live: find its media id, never publish
again. A `media_publish` whose answer was lost is never retried blindly either.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from contentloop.domain.clock import Clock
from contentloop.domain.models import Format, PublishAttempt
from contentloop.instagram.client import GraphClient
from contentloop.instagram.errors import (
    ContainerFailed,
    ContainerTimeout,
    ErrorClass,
    GraphAPIError,
    GraphNetworkError,
    PublishOutcomeUnknown,
    classify,
    explain,
)
from contentloop.instagram.wait import IMAGE_DEADLINE_S, VIDEO_DEADLINE_S, wait_until_finished

from .schedule import next_retry_at

log = logging.getLogger("contentloop.publish")

_VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v")


class PublishJournal(Protocol):
    """Durable record of a post's publishing; the store implements it.

    `record_container` must be committed when it returns: `media_publish` follows it.
    `record_published` gets media_id "" when the post is known live (container PUBLISHED)
    but its media could not be identified (e.g. a story no longer listed).
    """

    def record_container(self, post_id: str, container_id: str) -> None: ...

    def record_published(self, post_id: str, media_id: str, at: datetime) -> None: ...

    def record_attempt(self, attempt: PublishAttempt) -> None: ...


class PublishOutcome(StrEnum):
    PUBLISHED = "published"
    RETRY = "retry"
    QUOTA = "quota"
    AUTH = "auth"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PublishJob:
    """Everything needed to publish one post. `container_id` comes from a previous attempt."""

    post_id: str
    ig_user_id: str
    format: Format
    caption: str = ""
    image_url: str | None = None
    slide_urls: Sequence[str] = ()
    video_url: str | None = None
    cover_url: str | None = None
    alt_text: str | None = None  # images only (single image, carousel image slides)
    container_id: str | None = None
    first_comment: str | None = None
    attempt: int = 0  # earlier failed attempts, for backoff
    not_before: datetime | None = None  # earliest time the post can have gone live
    share_to_feed: bool = True
    slide_alt_texts: Sequence[str | None] = ()  # per slide; falls back to alt_text
    #: [{"username": ..., "x": 0-1, "y": 0-1}]: images need x/y; reels use the username only
    user_tags: Sequence[Mapping[str, Any]] = ()
    location_id: str | None = None  # a Facebook Page id with a location (image, reel, carousel)
    collaborators: Sequence[str] = ()  # up to 3 usernames (feed image, reel, carousel)
    thumb_offset: int | None = None  # reels without a cover: frame at this many ms
    audio_name: str | None = None  # reels: rename the original audio (once)
    #: phase one made `container_id` FINISHED and no media_publish has seen it since (the
    #: caller proves it): the slot skips the resume status check and publishes at once.
    container_ready: bool = False


@dataclass(frozen=True, slots=True)
class Prepared:
    """Phase one of two-phase publishing: a FINISHED container made ahead of the slot."""

    post_id: str
    container_id: str | None
    kept: bool = False  # the journal accepted it (the post was still waiting)
    message: str = ""


@dataclass(frozen=True, slots=True)
class PublishResult:
    outcome: PublishOutcome
    media_id: str | None = None
    container_id: str | None = None
    error_class: ErrorClass | None = None
    retry_at: datetime | None = None
    message: str = ""
    explanation: str = ""
    recovered: bool = False
    error_code: int | None = None
    error_subcode: int | None = None


@dataclass
class _Run:
    job: PublishJob
    container_id: str | None = None
    notes: list[str] = field(default_factory=list)


def _parse_ts(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _is_video(url: str) -> bool:
    return url.lower().split("?")[0].endswith(_VIDEO_SUFFIXES)


def _norm(caption: str | None) -> str:
    return " ".join((caption or "").split())


class Publisher:
    """Publishes one job per call and reports what happened; never raises API errors."""

    def __init__(
        self,
        client: GraphClient,
        clock: Clock,
        journal: PublishJournal,
        *,
        rng: random.Random | None = None,
        max_not_ready: int = 3,
        quota_precheck: bool = True,
        image_deadline_s: float = IMAGE_DEADLINE_S,
        video_deadline_s: float = VIDEO_DEADLINE_S,
        recovery_pages: int = 4,
        retry_base: timedelta = timedelta(seconds=30),
        retry_cap: timedelta = timedelta(hours=1),
        quick_retries: int = 2,
        quick_retry_s: float = 0.25,
    ) -> None:
        self.client = client
        self.clock = clock
        self.journal = journal
        self.rng = rng or random.Random()
        self.max_not_ready = max_not_ready
        self.quota_precheck = quota_precheck
        self.image_deadline_s = image_deadline_s
        self.video_deadline_s = video_deadline_s
        self.recovery_pages = recovery_pages
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.quick_retries = quick_retries
        self.quick_retry_s = quick_retry_s

    # --- entry point -----------------------------------------------------------------

    def publish(self, job: PublishJob) -> PublishResult:
        run = _Run(job=job, container_id=job.container_id)
        try:
            result = self._run(run)
        except PublishOutcomeUnknown as err:  # pragma: no cover - handled inside _run
            result = self._after_unknown(run, err)
        except GraphAPIError as err:
            result = self._from_error(run, err)
        except ContainerFailed as err:
            result = self._from_container_failed(run, err)
        except ValueError as err:  # the job itself is wrong: a person must fix it
            result = PublishResult(
                PublishOutcome.FAILED, container_id=run.container_id,
                error_class=ErrorClass.PERMANENT, message=str(err),
                explanation=f"The post cannot be published as prepared: {err}",
            )
        except ContainerTimeout as err:
            result = self._retry(
                run, str(err), ErrorClass.NOT_READY,
                "Instagram is still processing the media; the post will be checked again.",
                at=self.clock.now() + timedelta(minutes=2),
            )
        self._record_attempt(run, result)
        return result

    def prepare(self, job: PublishJob, keep: Callable[[str, str], bool]) -> Prepared:
        """Create the container and wait until FINISHED, ahead of the slot (never publishes).

        `keep(post_id, container_id)` journals it only if the post is still waiting (not
        claimed by a publisher meanwhile) and says whether it did. Failures are left to the
        publish at the slot, which classifies them and sets the post's state.
        """
        run = _Run(job=job)
        try:
            cid = self._create_and_wait(run, record=False)
        except (GraphAPIError, ContainerFailed, ContainerTimeout, ValueError) as err:
            log.info("post %s: container not prepared ahead (%s)", job.post_id, err)
            return Prepared(job.post_id, None, message=str(err))
        kept = keep(job.post_id, cid)
        return Prepared(job.post_id, cid, kept=kept,
                        message="ready" if kept else "post was claimed meanwhile; unused")

    # --- the flow ----------------------------------------------------------------------

    def _run(self, run: _Run) -> PublishResult:
        job = run.job
        cid = run.container_id
        if cid and job.container_ready:
            try:
                return self._publish_container(run, cid)
            except GraphAPIError as err:  # e.g. expired since: the normal path decides
                if classify(err) is not ErrorClass.NEW_CONTAINER:
                    raise
                run.notes.append(str(err))
                cid = None
        if cid:
            st = self.client.container_status(cid)
            log.info("post %s resumes container %s: %s", job.post_id, cid, st.status_code)
            if st.status_code == "PUBLISHED":
                return self._recovered(run, f"container {cid} was already PUBLISHED")
            if st.status_code == "IN_PROGRESS":
                try:
                    st = wait_until_finished(self.client, cid, self.clock, self._deadline(job))
                except ContainerFailed as err:
                    if not err.new_container:
                        raise
                    run.notes.append(str(err))
                    cid = None
                else:
                    if st.status_code == "PUBLISHED":
                        return self._recovered(run, f"container {cid} was already PUBLISHED")
            elif st.status_code in ("EXPIRED", "ERROR"):
                run.notes.append(f"container {cid} was {st.status_code}; made a new one")
                cid = None
        if cid is None and self.quota_precheck:
            blocked = self._quota_precheck(run)
            if blocked is not None:
                return blocked
        for fresh in range(2):
            try:
                if cid is None:
                    cid = self._create_and_wait(run)
                return self._publish_container(run, cid)
            except ContainerFailed as err:
                if not err.new_container or fresh == 1:
                    raise
                run.notes.append(str(err))
            except GraphAPIError as err:
                if classify(err) is not ErrorClass.NEW_CONTAINER or fresh == 1:
                    raise
                run.notes.append(str(err))
            cid = None
        raise AssertionError("unreachable")  # pragma: no cover

    def _deadline(self, job: PublishJob) -> float:
        video = job.format is Format.REEL or job.video_url or any(
            u.lower().endswith(_VIDEO_SUFFIXES) for u in job.slide_urls
        )
        return self.video_deadline_s if video else self.image_deadline_s

    def _wait(self, run: _Run, cid: str) -> None:
        st = wait_until_finished(self.client, cid, self.clock, self._deadline(run.job))
        if st.status_code == "PUBLISHED":  # cannot happen for a fresh container; be safe
            raise AssertionError(f"fresh container {cid} is already PUBLISHED")

    def _record(self, run: _Run, cid: str) -> None:
        self.journal.record_container(run.job.post_id, cid)
        run.container_id = cid

    def _create_and_wait(self, run: _Run, *, record: bool = True) -> str:
        """Create the container with what the API allows for its type (reference 1.2)."""
        job, c, ig = run.job, self.client, run.job.ig_user_id
        tags = [dict(t) for t in job.user_tags]
        collabs = list(job.collaborators)[:3] or None
        if job.format is Format.IMAGE:
            if not job.image_url:
                raise ValueError(f"post {job.post_id}: an image post needs image_url")
            cid = c.create_image_container(
                ig, job.image_url, job.caption, alt_text=job.alt_text, user_tags=tags or None,
                location_id=job.location_id, collaborators=collabs,
            )
        elif job.format is Format.CAROUSEL:
            if not 2 <= len(job.slide_urls) <= 10:
                raise ValueError(f"post {job.post_id}: a carousel needs 2-10 slides")
            children = []
            images = [i for i, u in enumerate(job.slide_urls) if not _is_video(u)]
            for i, url in enumerate(job.slide_urls):
                if _is_video(url):
                    children.append(c.create_video_child(ig, url))
                    continue
                alts = job.slide_alt_texts
                alt = (alts[i] if i < len(alts) else None) or job.alt_text
                # People are tagged on the first image slide: tags belong to children.
                children.append(c.create_image_container(
                    ig, url, alt_text=alt, is_carousel_item=True,
                    user_tags=tags if (tags and i == images[0]) else None,
                ))
            for child in children:
                self._wait(run, child)
            cid = c.create_carousel_container(
                ig, children, job.caption, location_id=job.location_id, collaborators=collabs,
            )
        elif job.format is Format.REEL:
            if not job.video_url:
                raise ValueError(f"post {job.post_id}: a reel needs video_url")
            cid = c.create_reel_container(
                ig, job.video_url, job.caption, cover_url=job.cover_url,
                thumb_offset=job.thumb_offset, share_to_feed=job.share_to_feed,
                audio_name=job.audio_name, location_id=job.location_id,
                collaborators=collabs,
                user_tags=[{"username": t["username"]} for t in tags if t.get("username")]
                or None,
            )
        elif job.format is Format.STORY:
            cid = c.create_story_container(ig, image_url=job.image_url, video_url=job.video_url,
                                           user_tags=tags or None)
        else:  # pragma: no cover - Format is closed
            raise ValueError(f"unknown format {job.format}")
        if record:
            self._record(run, cid)
        else:
            run.container_id = cid
        self._wait(run, cid)
        return cid

    def _publish_container(self, run: _Run, cid: str) -> PublishResult:
        job = run.job
        run.container_id = cid
        not_ready = quick = 0
        while True:
            try:
                media_id = self.client.publish(job.ig_user_id, cid)
                break
            except PublishOutcomeUnknown as err:
                return self._after_unknown(run, err)
            except GraphNetworkError:
                raise  # never reached the server: nothing was published
            except GraphAPIError as err:
                cls = classify(err)
                if cls is ErrorClass.NOT_READY and not_ready < self.max_not_ready:
                    not_ready += 1
                    st = wait_until_finished(self.client, cid, self.clock, self._deadline(job))
                    if st.status_code == "PUBLISHED":
                        return self._recovered(run, f"container {cid} became PUBLISHED")
                    continue
                if cls is ErrorClass.TRANSIENT and (err.http_status or 0) >= 500:
                    # A Graph error body means the API itself answered, so its work on the
                    # request is over (a 502/504 from a proxy proves nothing): if the
                    # container is still FINISHED, nothing went live and an immediate retry
                    # cannot duplicate.
                    if (quick < self.quick_retries and err.code is not None
                            and err.http_status in (500, 503) and self._not_live(cid)):
                        quick += 1
                        run.notes.append(f"media_publish answered {err.http_status}; "
                                         "checked not live, retried at once")
                        self.clock.sleep(self.rng.uniform(0.0, self.quick_retry_s))
                        continue
                    return self._after_unknown(run, err)  # a 5xx may still have published
                raise
        at = self.clock.now()
        self.journal.record_published(job.post_id, media_id, at)
        log.info("post %s published as media %s", job.post_id, media_id)
        self._first_comment(run, media_id)
        return PublishResult(
            PublishOutcome.PUBLISHED, media_id=media_id, container_id=cid,
            message="; ".join([f"published as media {media_id}", *run.notes]),
        )

    def _not_live(self, cid: str) -> bool:
        """True only when the API says for certain the container was not published
        (status_code turns PUBLISHED with the publish itself)."""
        try:
            return self.client.container_status(cid).status_code == "FINISHED"
        except GraphAPIError:
            return False

    def _first_comment(self, run: _Run, media_id: str) -> None:
        if not run.job.first_comment:
            return
        try:
            self.client.post_comment(media_id, run.job.first_comment)
        except GraphAPIError as err:  # cosmetic: the post is live either way
            run.notes.append(f"first comment failed: {err}")

    # --- recovery ----------------------------------------------------------------------

    def _after_unknown(self, run: _Run, err: GraphAPIError) -> PublishResult:
        """The publish may have happened: look before anything else."""
        cid = run.container_id
        assert cid is not None
        try:
            st = self.client.container_status(cid)
            if st.status_code == "PUBLISHED":
                return self._recovered(run, f"publish answer lost; container {cid} is PUBLISHED")
            found = self._find_published(run.job)
        except GraphAPIError as check_err:
            run.notes.append(f"status check failed: {check_err}")
            found = None
        if found is not None:
            return self._recovered(run, "publish answer lost; post found in recent media", found)
        return self._retry(
            run, f"{err}", ErrorClass.TRANSIENT,
            "The publish got no clear answer and the post is not live yet; the container "
            "status is checked again before the next try, so it is never posted twice.",
        )

    def _recovered(
        self, run: _Run, why: str, found: dict[str, Any] | None = None
    ) -> PublishResult:
        job = run.job
        if found is None:
            try:
                found = self._find_published(job)
            except GraphAPIError as err:
                run.notes.append(f"media lookup failed: {err}")
        media_id = str(found["id"]) if found else ""
        at = (found and _parse_ts(found.get("timestamp"))) or self.clock.now()
        self.journal.record_published(job.post_id, media_id, at)
        note = f"media {media_id}" if media_id else "media id not found in recent media"
        log.info("post %s recovered as published (%s)", job.post_id, why)
        return PublishResult(
            PublishOutcome.PUBLISHED, media_id=media_id or None, container_id=run.container_id,
            recovered=True, message="; ".join([f"{why}; {note}", *run.notes]),
            explanation="The post was already live; it was not published a second time.",
        )

    def _find_published(self, job: PublishJob) -> dict[str, Any] | None:
        """Match the post in the account's recent media by caption within the window.

        The real API has no container -> media link, so caption and time are the key.
        """
        now = self.clock.now()
        since = job.not_before or now - timedelta(hours=24, minutes=5)
        edge = "stories" if job.format is Format.STORY else "media"
        want = _norm(job.caption)
        for item in self.client.iter_media(
            job.ig_user_id, ("id", "caption", "timestamp"), limit=25, edge=edge,
            max_pages=self.recovery_pages,
        ):
            ts = _parse_ts(item.get("timestamp"))
            if ts is not None and ts < since:
                break
            if edge == "stories" and job.not_before is None:
                continue  # stories have no caption: only match inside a known window
            if edge == "stories" or _norm(item.get("caption")) == want:
                return dict(item)
        return None

    # --- outcomes ----------------------------------------------------------------------

    def _retry(
        self,
        run: _Run,
        message: str,
        cls: ErrorClass,
        explanation: str,
        *,
        at: datetime | None = None,
        err: GraphAPIError | None = None,
    ) -> PublishResult:
        now = self.clock.now()
        return PublishResult(
            PublishOutcome.RETRY, container_id=run.container_id, error_class=cls,
            retry_at=at or next_retry_at(run.job.attempt, now, base=self.retry_base,
                                         cap=self.retry_cap, rng=self.rng),
            message="; ".join([message, *run.notes]), explanation=explanation,
            error_code=err.code if err else None, error_subcode=err.subcode if err else None,
        )

    def _from_error(self, run: _Run, err: GraphAPIError) -> PublishResult:
        cls = classify(err)
        now = self.clock.now()
        why = explain(err)
        if cls is ErrorClass.QUOTA:
            return self._quota_result(run, str(err), err)
        if cls is ErrorClass.THROTTLED:
            minutes = err.usage.regain_access_minutes
            if minutes > 0:
                at = now + timedelta(minutes=minutes)
            elif err.code == 4 and err.subcode == 2207051:  # spam suspicion: hours
                at = now + timedelta(hours=2 * (run.job.attempt + 1))
            else:
                at = next_retry_at(run.job.attempt, now, base=timedelta(minutes=5),
                                   cap=timedelta(hours=2), rng=self.rng)
            return self._retry(run, str(err), cls, why, at=at, err=err)
        if cls in (ErrorClass.TRANSIENT, ErrorClass.NOT_READY, ErrorClass.NEW_CONTAINER):
            return self._retry(run, str(err), cls, why, err=err)
        outcome = PublishOutcome.AUTH if cls is ErrorClass.AUTH else PublishOutcome.FAILED
        return PublishResult(
            outcome, container_id=run.container_id, error_class=cls,
            message="; ".join([str(err), *run.notes]), explanation=why,
            error_code=err.code, error_subcode=err.subcode,
        )

    def _from_container_failed(self, run: _Run, err: ContainerFailed) -> PublishResult:
        if err.new_container:
            return self._retry(
                run, str(err), ErrorClass.NEW_CONTAINER,
                "Instagram could not process the media twice in a row; it will be tried again.",
            )
        why = (
            "Instagram could not process the media"
            + (f" (error {err.subcode})" if err.subcode else "")
            + ". Check the file's format: JPEG images; MP4 H.264/AAC video with faststart."
        )
        return PublishResult(
            PublishOutcome.FAILED, container_id=err.container_id,
            error_class=ErrorClass.PERMANENT, message="; ".join([str(err), *run.notes]),
            explanation=why, error_subcode=err.subcode,
        )

    def _quota_precheck(self, run: _Run) -> PublishResult | None:
        try:
            quota = self.client.publishing_limit(run.job.ig_user_id)
        except GraphAPIError as err:
            if classify(err) in (ErrorClass.PERMANENT, ErrorClass.NEW_CONTAINER):
                return None  # a limit we cannot read does not block publishing
            raise
        if quota.total > 0 and quota.usage >= quota.total:
            msg = f"publishing limit reached: {quota.usage}/{quota.total} in the last 24 h"
            return self._quota_result(run, msg, None, quota_known=(quota.usage, quota.total,
                                                                    quota.duration_s))
        return None

    def _quota_result(
        self,
        run: _Run,
        message: str,
        err: GraphAPIError | None,
        quota_known: tuple[int, int, int] | None = None,
    ) -> PublishResult:
        now = self.clock.now()
        at = now + timedelta(hours=1)
        try:
            usage, total, duration = quota_known or self._quota_numbers(run.job.ig_user_id)
            at = self._slot_frees_at(run.job.ig_user_id, usage, total, duration) or at
        except GraphAPIError as qerr:
            run.notes.append(f"could not read the publishing limit: {qerr}")
        at = max(at, now + timedelta(minutes=1))
        return PublishResult(
            PublishOutcome.QUOTA, container_id=run.container_id, error_class=ErrorClass.QUOTA,
            retry_at=at, message="; ".join([message, *run.notes]),
            explanation=(
                "The account reached Instagram's publishing limit for the last 24 hours. "
                f"The post waits until {at:%Y-%m-%d %H:%M} UTC, when a slot frees up."
            ),
            error_code=err.code if err else 9, error_subcode=err.subcode if err else 2207042,
        )

    def _quota_numbers(self, ig_user_id: str) -> tuple[int, int, int]:
        q = self.client.publishing_limit(ig_user_id)
        return q.usage, q.total, q.duration_s

    def _slot_frees_at(
        self, ig_user_id: str, usage: int, total: int, duration_s: int
    ) -> datetime | None:
        """The k-th oldest publish in the window ages out at its time + duration."""
        now = self.clock.now()
        window_start = now - timedelta(seconds=duration_s)
        stamps: list[datetime] = []
        for item in self.client.iter_media(
            ig_user_id, ("id", "timestamp"), limit=50, max_pages=self.recovery_pages
        ):
            ts = _parse_ts(item.get("timestamp"))
            if ts is None:
                continue
            if ts < window_start:
                break
            stamps.append(ts)
        if not stamps:
            return None
        stamps.sort()
        k = max(1, usage - total + 1) if total else 1
        oldest = stamps[min(k, len(stamps)) - 1]
        return oldest + timedelta(seconds=duration_s, minutes=1)

    def _record_attempt(self, run: _Run, result: PublishResult) -> None:
        if result.outcome is PublishOutcome.PUBLISHED:
            outcome = "recovered" if result.recovered else "ok"
        elif result.outcome in (PublishOutcome.RETRY, PublishOutcome.QUOTA):
            outcome = "retry"
        else:
            outcome = "failed"
        self.journal.record_attempt(
            PublishAttempt(
                post_id=run.job.post_id, at=self.clock.now(), outcome=outcome,
                error_class=result.error_class.value if result.error_class else "",
                error_code=result.error_code, error_subcode=result.error_subcode,
                message=result.message[:2000],
            )
        )
