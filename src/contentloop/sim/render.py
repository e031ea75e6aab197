"""Turn simulator records into Graph JSON, honouring `fields=` selections and paging."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from . import errors as E
from .fields import FieldSpec
from .hashtags import HashtagMedia
from .model import Comment, Media, SimAccount, ts
from .world import SimWorld

T = TypeVar("T")

MEDIA_FIELDS = frozenset({
    "id", "caption", "media_type", "media_product_type", "media_url", "thumbnail_url",
    "permalink", "shortcode", "timestamp", "like_count", "comments_count", "username",
    "is_comment_enabled", "children", "owner", "ig_id", "is_shared_to_feed",
})
USER_FIELDS = frozenset({
    "id", "ig_id", "user_id", "username", "name", "biography", "website", "profile_picture_url",
    "followers_count", "follows_count", "media_count", "account_type", "media",
    "business_discovery",
})
HASHTAG_MEDIA_FIELDS = frozenset({
    "caption", "children", "comments_count", "id", "like_count", "media_type", "media_url",
    "permalink", "timestamp",
})


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        pad = "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(cursor + pad).decode()
    except Exception as exc:
        raise E.invalid_param(f"Invalid cursor: {cursor}") from exc


def page(
    items: Sequence[T],
    key: Callable[[T], str],
    *,
    limit: int,
    after: str | None,
    before: str | None,
    next_base: str | None,
    next_query: dict[str, str] | None,
    only_after: bool = False,
) -> tuple[list[T], dict[str, Any]]:
    """Cursor paging over a stable ordering; cursors encode the boundary item's key."""
    keys = [key(i) for i in items]
    start, end = 0, len(items)
    if after:
        k = decode_cursor(after)
        start = keys.index(k) + 1 if k in keys else len(items)
        end = min(start + limit, len(items))
    elif before:
        k = decode_cursor(before)
        end = keys.index(k) if k in keys else 0
        start = max(0, end - limit)
    else:
        end = min(limit, len(items))
    chunk = list(items[start:end])
    paging: dict[str, Any] = {}
    if chunk:
        cursors = {"after": encode_cursor(keys[end - 1])}
        if not only_after:
            cursors = {"before": encode_cursor(keys[start]), **cursors}
        paging["cursors"] = cursors
    if next_base is not None and next_query is not None and chunk:
        plain = {k: v for k, v in next_query.items() if k not in ("after", "before")}
        if end < len(items):
            nq = {**plain, "after": encode_cursor(keys[end - 1])}
            paging["next"] = f"{next_base}?{urlencode(nq)}"
        if start > 0 and not only_after:
            pq = {**plain, "before": encode_cursor(keys[start])}
            paging["previous"] = f"{next_base}?{urlencode(pq)}"
    return chunk, paging


def media_json(world: SimWorld, m: Media, specs: list[FieldSpec], *,
               indirect: bool = False) -> dict[str, Any]:
    if not specs:
        specs = [FieldSpec("id")]
    owner = world.accounts.get(m.owner)
    out: dict[str, Any] = {}
    for spec in specs:
        f = spec.name
        if f not in MEDIA_FIELDS:
            raise E.invalid_param(
                f"Tried accessing nonexisting field ({f}) on node type (IGMedia)")
        if f == "id":
            out["id"] = m.id
        elif f == "caption":
            if m.parent_id is None and m.caption:
                out["caption"] = m.caption
        elif f == "media_type":
            out["media_type"] = m.media_type
        elif f == "media_product_type":
            out["media_product_type"] = m.product_type
        elif f == "media_url":
            if m.media_url:
                out["media_url"] = m.media_url
        elif f == "thumbnail_url":
            if m.media_type == "VIDEO" and m.thumbnail_url:
                out["thumbnail_url"] = m.thumbnail_url
        elif f == "permalink":
            out["permalink"] = m.permalink  # recorded responses show it on children too
        elif f == "shortcode":
            out["shortcode"] = m.shortcode
        elif f == "timestamp":
            out["timestamp"] = ts(m.timestamp)
        elif f == "like_count":
            out["like_count"] = int(world.metric(m, "likes"))
        elif f == "comments_count":
            extra = sum(1 for c in world.comments.values()
                        if c.media_id == m.id and c.user_id == m.owner)
            out["comments_count"] = int(world.metric(m, "comments")) + extra
        elif f == "username":
            out["username"] = owner.username if owner else ""
        elif f == "is_comment_enabled":
            out["is_comment_enabled"] = m.comment_enabled
        elif f == "is_shared_to_feed":
            if m.product_type == "REELS":
                c = world.containers.get(m.container_id)
                share = c.params.get("share_to_feed", True) if c else True
                out["is_shared_to_feed"] = str(share).lower() not in ("false", "0")
        elif f == "owner":
            out["owner"] = {"id": m.owner}
        elif f == "ig_id":
            out["ig_id"] = str(int(m.id) % 10**19)
        elif f == "children" and m.children:
            kids = [world.media[k] for k in m.children]
            out["children"] = {"data": [media_json(world, k, spec.children or [])
                                        for k in kids]}
    out.setdefault("id", m.id)  # Graph always returns a node's id
    return out


def hashtag_media_json(hm: HashtagMedia, specs: list[FieldSpec]) -> dict[str, Any]:
    if not specs:
        specs = [FieldSpec("id")]
    out: dict[str, Any] = {}
    for spec in specs:
        f = spec.name
        if f == "username":
            raise E.invalid_param("The username field cannot be requested on hashtag media")
        if f not in HASHTAG_MEDIA_FIELDS:
            raise E.invalid_param(f"Tried accessing nonexisting field ({f}) on node type "
                                  "(ShadowIGHashtagMedia)")
        if f == "id":
            out["id"] = hm.id
        elif f == "caption":
            out["caption"] = hm.caption
        elif f == "comments_count":
            out["comments_count"] = hm.comments_count
        elif f == "like_count":
            out["like_count"] = hm.like_count
        elif f == "media_type":
            out["media_type"] = hm.media_type
        elif f == "media_url":
            out["media_url"] = f"https://cdn.sim.invalid/{hm.id}.jpg"
        elif f == "permalink":
            out["permalink"] = f"https://www.instagram.com/p/{hm.id[-11:]}/"
        elif f == "timestamp":
            out["timestamp"] = ts(hm.timestamp)
        elif f == "children" and hm.media_type == "CAROUSEL_ALBUM":
            out["children"] = {"data": [{"id": hm.id[:-1] + str(i)} for i in range(2)]}
    return out


def user_json(world: SimWorld, acct: SimAccount, specs: list[FieldSpec], *, me: bool = False,
              discovery: bool = False, base: str = "") -> dict[str, Any]:
    if not specs:
        specs = [FieldSpec("id")]
    out: dict[str, Any] = {}
    for spec in specs:
        f = spec.name
        if f not in USER_FIELDS:
            raise E.invalid_param(
                f"Tried accessing nonexisting field ({f}) on node type (IGUser)")
        if f == "id":
            out["id"] = acct.app_scoped_id if me and acct.app_scoped_id else acct.ig_user_id
        elif f == "user_id":
            out["user_id"] = acct.ig_user_id
        elif f == "ig_id":
            out["ig_id"] = int(acct.ig_user_id[5:]) if acct.ig_user_id[5:].isdigit() else 0
        elif f == "username":
            out["username"] = acct.username
        elif f == "name":
            out["name"] = acct.name
        elif f == "biography":
            out["biography"] = acct.biography
        elif f == "website":
            out["website"] = acct.website
        elif f == "profile_picture_url":
            out["profile_picture_url"] = f"https://cdn.sim.invalid/{acct.ig_user_id}.jpg"
        elif f == "followers_count":
            out["followers_count"] = world.followers_count(acct)
        elif f == "follows_count":
            out["follows_count"] = acct.follows_count
        elif f == "media_count":
            out["media_count"] = len(world.account_media(acct.ig_user_id))
        elif f == "account_type":
            out["account_type"] = "BUSINESS"
        elif f == "media":
            items = world.account_media(acct.ig_user_id)
            limit = min(int(spec.modifiers.get("limit", "25") or 25), 100)
            chunk, paging = page(items, lambda m: m.id, limit=limit,
                                 after=spec.modifiers.get("after"),
                                 before=spec.modifiers.get("before"),
                                 next_base=None, next_query=None)
            out["media"] = {"data": [media_json(world, m, spec.children or [],
                                                indirect=discovery) for m in chunk],
                            "paging": paging}
        elif f == "business_discovery":
            if discovery:
                raise E.invalid_param("business_discovery cannot be nested")
            username = spec.modifiers.get("username")
            if not username:
                raise E.invalid_param("business_discovery requires .username(...)")
            target = world.account_by_username(username)
            if target is None:
                if world.config.strict_tokens:
                    raise E.GraphError(110, "(#110) Cannot find User")
                target = world.synthesize_competitor(username)
            children = spec.children or [FieldSpec("id")]
            if not any(c.name == "id" for c in children):
                children = [*children, FieldSpec("id")]
            out["business_discovery"] = user_json(world, target, children, discovery=True)
    if "id" not in out:  # Graph always returns a node's id
        out["id"] = acct.app_scoped_id if me and acct.app_scoped_id else acct.ig_user_id
    return out


def comment_json(world: SimWorld, c: Comment, specs: list[FieldSpec]) -> dict[str, Any]:
    if not specs:
        specs = [FieldSpec("timestamp"), FieldSpec("text"), FieldSpec("id")]
    out: dict[str, Any] = {}
    for spec in specs:
        f = spec.name
        if f == "id":
            out["id"] = c.id
        elif f == "text":
            out["text"] = c.text
        elif f == "timestamp":
            out["timestamp"] = ts(c.timestamp)
        elif f == "username":
            out["username"] = c.username
        elif f == "like_count":
            out["like_count"] = c.like_count
        elif f == "hidden":
            out["hidden"] = c.hidden
        elif f == "from":
            out["from"] = {"id": c.user_id, "username": c.username}
        elif f == "media":
            out["media"] = {"id": c.media_id}
        elif f == "parent_id":
            if c.parent_id:
                out["parent_id"] = c.parent_id
        elif f == "replies":
            kids = sorted((r for r in world.comments.values() if r.parent_id == c.id),
                          key=lambda r: r.timestamp)
            out["replies"] = {"data": [comment_json(world, r, spec.children or [])
                                       for r in kids]}
        else:
            raise E.invalid_param(
                f"Tried accessing nonexisting field ({f}) on node type (IGComment)")
    return out
