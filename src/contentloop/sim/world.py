"""SimWorld: the in-memory Instagram that the ASGI app exposes.

Every business rule of publishing lives here (not in the HTTP layer), so it can be
driven directly by benchmarks as well as over HTTP. Errors are `GraphError`s.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import secrets
import threading
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from contentloop.domain.clock import Clock

from . import errors as E
from . import mediacheck
from .audience import AudienceModel, PostFeatures
from .config import FaultQueue, SimConfig
from .hashtags import HashtagStore
from .model import Comment, Container, Media, SimAccount, Token

ALL_SCOPES = (
    "instagram_basic", "instagram_content_publish", "instagram_manage_insights",
    "instagram_manage_comments", "pages_show_list", "pages_read_engagement",
    "instagram_business_basic", "instagram_business_content_publish",
    "instagram_business_manage_insights", "instagram_business_manage_comments",
)
PUBLISH_SCOPES = ("instagram_content_publish", "instagram_business_content_publish")
MEDIA_TYPES = ("IMAGE", "VIDEO", "CAROUSEL", "REELS", "STORIES")
_FORMAT_OF = {"IMAGE": "image", "CAROUSEL": "carousel", "REELS": "reel", "STORIES": "story",
              "VIDEO": "reel"}
_MENTION_RE = re.compile(r"(?<![\w@])@[\w.]+")
_TAG_RE = re.compile(r"#(\w+)")
_TRUE = ("true", "1", "yes")


def _truthy(v: Any) -> bool:
    return v is True or str(v).lower() in _TRUE


def fault_error(kind: str) -> E.GraphError:
    """Turn a fault-queue kind into the error it stands for."""
    table = {
        "spam": E.spam_block,
        "500": E.server_error,
        "1": E.unknown_error,
        "2": E.server_error,
        "9007": E.not_ready,
        "9": E.publish_quota,
    }
    if kind in table:
        return table[kind]()
    code_s, _, arg = kind.partition("=")
    if code_s in ("4", "17", "32", "613", "80002"):
        minutes = int(arg) if arg else 5  # "80002=1": regain access after 1 minute
        usage = {"call_count": 100, "total_cputime": 40, "total_time": 60}
        headers = {
            "x-app-usage": json.dumps(usage),
            "x-business-use-case-usage": json.dumps({"0": [{
                "type": "instagram", **usage, "estimated_time_to_regain_access": minutes}]}),
        }
        return E.rate_limited(int(code_s), minutes, headers)
    if kind == "24":
        return E.builder_missing("unknown")
    if kind == "190":
        return E.token_expired("an earlier date", "now")
    if kind == "restricted":
        return E.GraphError(25, "The Instagram account is restricted.", subcode=2207050,
                            user_title="Restricted account",
                            user_msg="The Instagram account is restricted.")
    raise ValueError(f"unknown fault kind {kind!r}")


class SimWorld:
    """State of the simulated Instagram, guarded by one lock."""

    def __init__(self, clock: Clock, config: SimConfig | None = None) -> None:
        self.clock = clock
        self.config = config or SimConfig()
        self.faults = FaultQueue()
        self.audience = AudienceModel(self.config.seed)
        self.hashtags = HashtagStore(self.config.seed, clock.now())
        self.accounts: dict[str, SimAccount] = {}
        self.tokens: dict[str, Token] = {}
        self.containers: dict[str, Container] = {}
        self.media: dict[str, Media] = {}
        self.comments: dict[str, Comment] = {}
        self.auth_codes: dict[str, str] = {}
        self._records: list[dict[str, Any]] = []
        self._ids: set[str] = set()
        self._rng = random.Random(self.config.seed)
        self._trace_rng = random.Random(self.config.seed + 7919)
        self.lock = threading.RLock()

    # ------------------------------------------------------------------ ids
    def mint_id(self, prefix: str) -> str:
        with self.lock:
            while True:
                cand = prefix + str(self._rng.randrange(10 ** (16 - len(prefix)),
                                                        10 ** (17 - len(prefix))))
                if cand not in self._ids:
                    self._ids.add(cand)
                    return cand

    def fbtrace_id(self) -> str:
        with self.lock:  # own generator: tracing ids must not shift object ids
            raw = self._trace_rng.getrandbits(128).to_bytes(16, "big")
        return base64.urlsafe_b64encode(raw).decode()[:23]

    # ------------------------------------------------------------- accounts
    def create_account(
        self,
        username: str,
        ig_user_id: str | None = None,
        followers: int | None = None,
        *,
        timezone: str | None = None,
        scopes: tuple[str, ...] = ALL_SCOPES,
        token: str | None = None,
    ) -> tuple[str, str]:
        """Add an account and a long-lived token for it; returns (ig_user_id, access_token)."""
        with self.lock:
            ig = ig_user_id or self.mint_id("17841")
            self._ids.add(ig)
            self.accounts[ig] = SimAccount(
                ig_user_id=ig,
                username=username,
                followers_base=self.config.default_followers if followers is None else followers,
                timezone=timezone or self.config.account_timezone,
                name=username.replace("_", " ").title(),
                app_scoped_id=self.mint_id("2"),
            )
            value = token or self._new_token_value()
            now = self.clock.now()
            self.tokens[value] = Token(value, ig, now,
                                       now + timedelta(seconds=self.config.token_ttl_s),
                                       scopes=scopes)
            return ig, value

    def _new_token_value(self) -> str:
        return "IGSIM" + secrets.token_urlsafe(32)

    def issue_token(self, ig_user_id: str, *, ttl_s: int, long_lived: bool) -> Token:
        with self.lock:
            now = self.clock.now()
            tok = Token(self._new_token_value(), ig_user_id, now,
                        now + timedelta(seconds=ttl_s), scopes=ALL_SCOPES, long_lived=long_lived)
            self.tokens[tok.value] = tok
            return tok

    def issue_auth_code(self, ig_user_id: str) -> str:
        """An OAuth authorization code (single use) for the code → token exchange."""
        with self.lock:
            code = secrets.token_urlsafe(16)
            self.auth_codes[code] = ig_user_id
            return code

    def account_by_username(self, username: str) -> SimAccount | None:
        with self.lock:
            for acct in self.accounts.values():
                if acct.username.lower() == username.lower():
                    return acct
        return None

    def authenticate(self, value: str | None, path_hint: str | None = None) -> Token:
        """Resolve a token; standalone mode turns an unknown token into a sandbox account."""
        if not value:
            raise E.token_missing()
        now = self.clock.now()
        with self.lock:
            tok = self.tokens.get(value)
            if tok is None:
                if self.config.strict_tokens:
                    raise E.token_invalid()
                hint = path_hint if path_hint and path_hint.isdigit() and \
                    path_hint.startswith("1784") and path_hint not in self.accounts else None
                ig, _ = self.create_account(f"sandbox_{len(self.accounts) + 1}", hint,
                                            token=value)
                tok = self.tokens[value]
            if tok.expires_at is not None and now >= tok.expires_at:
                raise E.token_expired(tok.expires_at.strftime("%A, %d-%b-%y %H:%M:%S UTC"),
                                      now.strftime("%A, %d-%b-%y %H:%M:%S UTC"))
            return tok

    def expire_token(self, value: str) -> None:
        """Test helper: make a token expired now."""
        with self.lock:
            self.tokens[value].expires_at = self.clock.now()

    def owned_account(self, tok: Token, ig_user_id: str) -> SimAccount:
        acct = self.accounts.get(ig_user_id)
        if acct is None or acct.synthetic:
            raise E.not_found(ig_user_id)
        if tok.ig_user_id != ig_user_id:
            raise E.GraphError(10, "(#10) Application does not have permission for this action")
        return acct

    def followers_count(self, acct: SimAccount, at: datetime | None = None) -> int:
        at = at or self.clock.now()
        gained = 0.0
        with self.lock:
            for m in self.media.values():
                if m.owner == acct.ig_user_id and m.parent_id is None and m.timestamp <= at:
                    gained += int(m.lifetime.get("follows", 0.0) * self._frac(m, at))
        return acct.followers_base + int(gained)

    def _frac(self, m: Media, at: datetime) -> float:
        age_h = (at - m.timestamp).total_seconds() / 3600
        if m.product_type == "STORY":
            age_h = min(age_h, 24.0) * 3  # stories are seen within their 24 h life
        return self.audience.accrual_fraction(age_h)

    def metric(self, m: Media, name: str, at: datetime | None = None) -> float:
        """A media's metric at a time: lifetime value × accrual so far (ratios are not scaled)."""
        at = at or self.clock.now()
        val = m.lifetime.get(name, 0.0)
        if name in ("ig_reels_avg_watch_time", "reels_skip_rate"):
            return val if at > m.timestamp else 0.0
        return float(int(val * self._frac(m, at)))

    # ----------------------------------------------------------- containers
    def create_container(self, tok: Token, ig_user_id: str, p: dict[str, Any]) -> dict[str, str]:
        acct = self.owned_account(tok, ig_user_id)
        if not any(s in tok.scopes for s in PUBLISH_SCOPES):
            raise E.GraphError(200, "(#200) Requires instagram_content_publish permission",
                               status=403)
        mtype = str(p.get("media_type") or "IMAGE").upper()
        if mtype not in MEDIA_TYPES:
            raise E.invalid_param("Invalid parameter", subcode=2207023,
                                  user_title="Unknown media type",
                                  user_msg=f"The media type {p.get('media_type')} is unknown.")
        is_child = _truthy(p.get("is_carousel_item", False))
        resumable = str(p.get("upload_type", "")).lower() == "resumable"
        caption = str(p.get("caption") or "")
        self._check_caption(caption)
        image_url = str(p.get("image_url") or "")
        video_url = str(p.get("video_url") or "")
        cover_url = str(p.get("cover_url") or "")
        self._check_params(mtype, is_child, resumable, image_url, video_url, p)
        children: list[str] = []
        if mtype == "CAROUSEL":
            children = self._check_children(acct, p.get("children"))
        now = self.clock.now()
        with self.lock:
            day_ago = now - timedelta(days=1)
            acct.container_log = [t for t in acct.container_log if t > day_ago]
            if len(acct.container_log) + 1 > self.config.container_limit_per_day:
                raise E.GraphError(
                    4, "Application request limit reached", status=400,
                    user_title="Container limit reached",
                    user_msg=f"You can create at most {self.config.container_limit_per_day} "
                    "media containers in a 24-hour period.")
        fail_subcode, fail_reason, duration = None, "", 0.0
        if self.config.validate_media and not resumable:
            fail_subcode, fail_reason, duration = self._validate_media(
                mtype, is_child, image_url, video_url, cover_url, p)
        url_fault = self.faults.container_failure([image_url, video_url, cover_url])
        if url_fault is not None:
            fail_subcode, fail_reason = url_fault, "injected fault"
        is_video = bool(video_url) or (resumable and mtype != "IMAGE")
        if mtype == "CAROUSEL":
            needed = self.config.container_finish_polls_carousel
        elif is_video:
            needed = self.config.container_finish_polls_video
        else:
            needed = self.config.container_finish_polls_image
        with self.lock:
            cid = self.mint_id("17889")
            acct.container_log.append(now)
            self.containers[cid] = Container(
                id=cid, owner=acct.ig_user_id, media_type=mtype, created_at=now,
                params=dict(p), is_carousel_item=is_child, children=children,
                polls_needed=needed, fail_subcode=fail_subcode, fail_reason=fail_reason,
                awaiting_upload=resumable, duration_s=duration or 15.0,
                media_url=image_url or video_url,
            )
        out = {"id": cid}
        if resumable:
            out["uri"] = f"https://rupload.facebook.com/ig-api-upload/v25.0/{cid}"
        return out

    def _check_caption(self, caption: str) -> None:
        if len(caption) > 2200:
            raise E.caption_too_long()
        if len(_MENTION_RE.findall(caption)) > 20:
            raise E.invalid_param("Invalid parameter", subcode=2207040,
                                  user_title="Too many tags",
                                  user_msg="Cannot use more than 20 tags per created media.")
        cap = 30 if self.config.hashtag_cap is None else self.config.hashtag_cap
        if len(_TAG_RE.findall(caption)) > cap:
            raise E.caption_too_long()

    def _check_params(self, mtype: str, is_child: bool, resumable: bool, image_url: str,
                      video_url: str, p: dict[str, Any]) -> None:
        if mtype == "IMAGE" and not image_url:
            raise E.invalid_param("The parameter image_url is required.")
        if mtype in ("VIDEO", "REELS") and not video_url and not resumable:
            raise E.invalid_param("The parameter video_url is required.")
        if mtype == "STORIES":
            if image_url and video_url:
                raise E.invalid_param("Only one of image_url or video_url can be specified.")
            if not image_url and not video_url and not resumable:
                raise E.invalid_param("The parameter image_url or video_url is required.")
        if mtype == "CAROUSEL" and p.get("children") in (None, "", []):
            raise E.carousel_count()
        if is_child and mtype not in ("IMAGE", "VIDEO"):
            raise E.invalid_param(f"Media type {mtype} cannot be a carousel item.")
        if is_child and _truthy(p.get("is_ai_generated", False)):
            raise E.invalid_param("is_ai_generated cannot be set on carousel items.")
        if p.get("trial_params") and mtype != "REELS":
            raise E.invalid_param("trial_params is only supported for media_type=REELS.")
        if p.get("alt_text") and mtype in ("REELS", "STORIES", "VIDEO"):
            raise E.invalid_param(f"alt_text is not supported for media_type={mtype}.")
        if p.get("collaborators") and mtype == "STORIES":
            raise E.invalid_param("param collaborators is not allowed for stories.")
        if p.get("location_id") and (is_child or mtype == "STORIES"):
            raise E.invalid_param("location_id is not supported on stories or carousel items.")
        if p.get("collaborators") and len(_parse_id_list(p.get("collaborators"))) > 3:
            raise E.invalid_param("A post can have at most 3 collaborators.")

    def _check_children(self, acct: SimAccount, raw: Any) -> list[str]:
        ids = _parse_id_list(raw)
        if not 2 <= len(ids) <= 10:
            raise E.carousel_count()
        with self.lock:
            for cid in ids:
                c = self.containers.get(cid)
                if c is None or c.owner != acct.ig_user_id:
                    raise E.invalid_param(f"Param children contains an invalid media id: {cid}")
                if not c.is_carousel_item:
                    raise E.invalid_param(
                        f"The media {cid} was not created with is_carousel_item=true.")
                status = self._status_code(c, poll=False)
                if status != "FINISHED":
                    raise E.not_ready()
        return ids

    def _validate_media(self, mtype: str, is_child: bool, image_url: str, video_url: str,
                        cover_url: str, p: dict[str, Any]) -> tuple[int | None, str, float]:
        """Fetch and judge. Image problems are synchronous errors; video ones end in ERROR."""
        timeout = self.config.fetch_timeout_s
        if image_url:
            data = mediacheck.fetch(image_url, timeout, mediacheck.MAX_IMAGE_BYTES + 1)
            mediacheck.check_image(data, feed_ratio=mtype in ("IMAGE",) or is_child)
        if cover_url:
            data = mediacheck.fetch(cover_url, timeout, mediacheck.MAX_IMAGE_BYTES + 1)
            mediacheck.check_image(data, feed_ratio=False)
        if not video_url:
            return None, "", 0.0
        if mtype in ("STORIES", "VIDEO"):
            lo, hi, max_b = 3.0, 60.0, 100 * 1024 * 1024
        else:
            lo, hi, max_b = 3.0, 900.0, 300 * 1024 * 1024
        data = mediacheck.fetch(video_url, timeout, max_b + 1)
        verdict = mediacheck.check_video(data, min_s=lo, max_s=hi, max_bytes=max_b,
                                         require_faststart=self.config.require_faststart)
        if not verdict.ok:
            return verdict.subcode, verdict.reason, 0.0
        offset = p.get("thumb_offset")
        if offset not in (None, "") and not cover_url:
            try:
                off_ms = float(offset)
            except ValueError as exc:
                raise E.thumb_offset() from exc
            if off_ms < 0 or off_ms >= verdict.duration_s * 1000:
                raise E.thumb_offset()
        return None, "", verdict.duration_s

    def _status_code(self, c: Container, poll: bool) -> str:
        now = self.clock.now()
        if c.published_media_id:
            return "PUBLISHED"
        if c.fail_subcode is not None:
            return "ERROR"
        if now - c.created_at >= timedelta(seconds=self.config.container_ttl_s):
            return "EXPIRED"
        if c.awaiting_upload:
            return "IN_PROGRESS"
        after = self.config.container_finish_after_s
        ready = c.polls >= c.polls_needed or (
            after is not None and (now - c.created_at).total_seconds() >= after)
        if ready:
            return "FINISHED"
        if poll:
            c.polls += 1
        return "IN_PROGRESS"

    def container_status(self, c: Container) -> tuple[str, str]:
        """(status_code, status) for a poll; each IN_PROGRESS poll moves processing on."""
        with self.lock:
            code = self._status_code(c, poll=True)
        text = {
            "PUBLISHED": "Published: Media has been published.",
            "EXPIRED": "Expired: Media has not been published within 24 hours of creation.",
            "IN_PROGRESS": "In Progress: Media is still being processed.",
            "FINISHED": "Finished: Media has been uploaded and it is ready to be published.",
        }.get(code, f"Error: Media upload has failed with error code {c.fail_subcode}")
        return code, text

    def upload(self, cid: str, data: bytes) -> None:
        """Resumable upload (rupload) of a container's video bytes."""
        with self.lock:
            c = self.containers.get(cid)
        if c is None:
            raise E.not_found(cid)
        if self.config.validate_media:
            verdict = mediacheck.check_video(data, min_s=3.0, max_s=900.0,
                                             max_bytes=300 * 1024 * 1024,
                                             require_faststart=self.config.require_faststart)
            if not verdict.ok:
                c.fail_subcode, c.fail_reason = verdict.subcode, verdict.reason
            else:
                c.duration_s = verdict.duration_s
        with self.lock:
            c.awaiting_upload = False

    # -------------------------------------------------------------- publish
    def publish(self, tok: Token, ig_user_id: str, creation_id: str | None) -> str:
        acct = self.owned_account(tok, ig_user_id)
        if not creation_id:
            raise E.invalid_param("The parameter creation_id is required.")
        with self.lock:
            c = self.containers.get(str(creation_id))
            if c is None:
                raise E.builder_missing(str(creation_id))
            if c.owner != acct.ig_user_id:
                raise E.unsupported_post(str(creation_id))
            if c.is_carousel_item or c.media_type == "VIDEO":
                raise E.standalone_video()
            status = self._status_code(c, poll=False)
            if status == "PUBLISHED":
                raise E.invalid_param(
                    "Invalid parameter", user_title="Media already published",
                    user_msg=f"The media with creation id {c.id} has already been published.")
            if status == "EXPIRED":
                raise E.media_expired()
            if status == "ERROR":
                raise E.builder_missing(c.id)
            if status != "FINISHED":
                raise E.not_ready()
            now = self.clock.now()
            window = now - timedelta(seconds=self.config.quota_duration_s)
            acct.publish_log = [t for t in acct.publish_log if t > window]
            if len(acct.publish_log) >= self.config.quota_total:
                raise E.publish_quota()
            media = self._commit(acct, c, now)
            acct.publish_log.append(now)
            return media.id

    def _commit(self, acct: SimAccount, c: Container, now: datetime) -> Media:
        p = c.params
        caption = str(p.get("caption") or "")
        if c.media_type == "CAROUSEL":
            mtype, product = "CAROUSEL_ALBUM", "FEED"
        elif c.media_type == "REELS":
            mtype, product = "VIDEO", "REELS"
        elif c.media_type == "STORIES":
            mtype, product = ("VIDEO" if p.get("video_url") or c.awaiting_upload
                              else "IMAGE"), "STORY"
        else:
            mtype, product = "IMAGE", "FEED"
        mid = self.mint_id("179")
        tags = tuple(t.lower() for t in _TAG_RE.findall(caption))
        local = now.astimezone(ZoneInfo(acct.timezone))
        features = PostFeatures(
            format=_FORMAT_OF[c.media_type], caption=caption, hashtags=tags,
            local_hour=local.hour, weekday=local.weekday(),
            followers=self.followers_count(acct, now),
            trend_boost=self.hashtags.trend_boost(tags, now),
            duration_s=c.duration_s,
        )
        media = Media(
            id=mid, owner=acct.ig_user_id, container_id=c.id, media_type=mtype,
            product_type=product, caption=caption, timestamp=now,
            media_url=c.media_url or (self.containers[c.children[0]].media_url
                                      if c.children else ""),
            shortcode=_shortcode(mid), features=features,
            lifetime=self.audience.realized_metrics(features, mid),
        )
        if mtype == "VIDEO":
            media.thumbnail_url = str(p.get("cover_url") or "")
        for child_cid in c.children:
            child = self.containers[child_cid]
            kid = self.mint_id("179")
            self.media[kid] = Media(
                id=kid, owner=acct.ig_user_id, container_id=child.id,
                media_type="VIDEO" if child.media_type == "VIDEO" else "IMAGE",
                product_type="FEED", caption="", timestamp=now, media_url=child.media_url,
                shortcode=_shortcode(kid), parent_id=mid,
            )
            media.children.append(kid)
            child.published_media_id = kid
        self.media[mid] = media
        c.published_media_id = mid
        self._records.append({
            "ig_user_id": acct.ig_user_id, "media_id": mid, "container_id": c.id,
            "media_type": c.media_type, "caption": caption, "timestamp": now.isoformat(),
        })
        return media

    def published_records(self) -> list[dict[str, Any]]:
        """Every publish the world committed, in order (the demo writes it as published.json)."""
        with self.lock:
            return [dict(r) for r in self._records]

    def publishing_usage(self, acct: SimAccount, since: datetime | None = None) -> int:
        now = self.clock.now()
        start = since or now - timedelta(seconds=self.config.quota_duration_s)
        with self.lock:
            return sum(1 for t in acct.publish_log if start < t <= now)

    # --------------------------------------------------------------- media
    def account_media(self, ig_user_id: str, *, stories: bool = False) -> list[Media]:
        """Top-level media, newest first. Stories only when asked (and only the live ones)."""
        now = self.clock.now()
        with self.lock:
            items = [m for m in self.media.values()
                     if m.owner == ig_user_id and m.parent_id is None
                     and (m.product_type == "STORY") == stories]
        if stories:
            items = [m for m in items if now - m.timestamp < timedelta(hours=24)]
        items = [m for m in items if m.timestamp <= now]
        return sorted(items, key=lambda m: (m.timestamp, m.id), reverse=True)

    def synthesize_competitor(self, username: str) -> SimAccount:
        """A discoverable business account with a seeded posting history."""
        with self.lock:
            existing = self.account_by_username(username)
            if existing is not None:
                return existing
            rng = random.Random(f"{self.config.seed}|competitor|{username.lower()}")
            ig = self.mint_id("17841")
            acct = SimAccount(ig, username, int(2000 * 10 ** rng.uniform(0, 2.5)),
                              name=username.replace("_", " ").title(),
                              biography=f"{username} on the simulator", synthetic=True)
            self.accounts[ig] = acct
            now = self.clock.now()
            vocab = sorted(self.hashtags.trending(now, 0.0))
            for i in range(rng.randint(12, 30)):
                when = now - timedelta(hours=rng.uniform(6, 24 * 60))
                tag = rng.choice(vocab) if vocab else "tips"
                fmt = rng.choice(("IMAGE", "CAROUSEL", "REELS"))
                caption = f"{rng.choice(['How to', '5 ways to', 'Why'])} {tag} #{tag}"
                mid = self.mint_id("179")
                feats = PostFeatures(_FORMAT_OF[fmt], caption, (tag,), when.hour,
                                     when.weekday(), acct.followers_base)
                self.media[mid] = Media(
                    id=mid, owner=ig, container_id="", caption=caption, timestamp=when,
                    media_type={"CAROUSEL": "CAROUSEL_ALBUM", "REELS": "VIDEO"}.get(fmt, fmt),
                    product_type="REELS" if fmt == "REELS" else "FEED",
                    media_url=f"https://cdn.sim.invalid/{mid}.jpg", shortcode=_shortcode(mid),
                    features=feats, lifetime=self.audience.realized_metrics(feats, mid + str(i)),
                )
            return acct

    # ------------------------------------------------------------ comments
    def add_comment(self, media_id: str, text: str, acct: SimAccount,
                    parent_id: str | None = None) -> Comment:
        with self.lock:
            cid = self.mint_id("17873")
            c = Comment(cid, media_id, text, acct.username, acct.ig_user_id, self.clock.now(),
                        parent_id=parent_id)
            self.comments[cid] = c
            return c

    def audience_comments(self, m: Media) -> list[Comment]:
        """Seeded comments from the audience, as many as the comment count so far (max 50)."""
        n = min(int(self.metric(m, "comments")), 50)
        templates = ("Love this!", "So useful, thanks", "Saving this 🙌", "Need more of these",
                     "Great tip", "Where is this from?", "This is so true", "Trying this today")
        for i in range(n):
            r = random.Random(f"{self.config.seed}|comment|{m.id}|{i}")
            digest = hashlib.sha1(f"{m.id}|{i}".encode()).hexdigest()
            cid = "17858" + str(int(digest[:14], 16) % 10**12).zfill(12)
            c = self.comments.get(cid)
            if c is None:
                c = Comment(cid, m.id, r.choice(templates), f"fan_{r.randrange(10**5)}",
                            "1784" + str(r.randrange(10**12, 10**13)),
                            m.timestamp + timedelta(minutes=5 + i * 17),
                            like_count=r.randrange(4))
                with self.lock:
                    self.comments[cid] = c
        with self.lock:
            return sorted((c for c in self.comments.values()
                           if c.media_id == m.id and c.parent_id is None),
                          key=lambda c: c.timestamp, reverse=True)


def _parse_id_list(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, list):
        return [str(x) for x in raw]
    text = str(raw).strip()
    if text.startswith("["):
        try:
            return [str(x) for x in json.loads(text)]
        except json.JSONDecodeError as exc:
            raise E.invalid_param("Param children must be a JSON array or a list of ids") from exc
    return [x.strip() for x in text.split(",") if x.strip()]


def _shortcode(media_id: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    n = int(media_id)
    out = ""
    while n:
        n, r = divmod(n, 64)
        out = alphabet[r] + out
    return out[:11]
