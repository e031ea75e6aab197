"""Turn simulator records into Graph JSON, honouring `fields=` selections and paging."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar
from urllib.parse import urlencode

from . import errors as E
from .fields import FieldSpec
from .hashtags import HashtagMedia
from .model import Comment, Media, SimAccount, ts
from .world import SimWorld

T = TypeVar("T")
N = TypeVar("N")

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


_SKIP: Any = object()  # a getter's answer for "Graph leaves this field out here"


def _select(
    node: N,
    specs: list[FieldSpec],
    getters: Mapping[str, Callable[[N, FieldSpec], Any]],
    node_type: str,
) -> dict[str, Any]:
    """The requested fields of `node`, in request order; an unknown field fails as in Graph."""
    out: dict[str, Any] = {}
    for spec in specs:
        get = getters.get(spec.name)
        if get is None:
            raise E.invalid_param(
                f"Tried accessing nonexisting field ({spec.name}) on node type ({node_type})")
        value = get(node, spec)
        if value is not _SKIP:
            out[spec.name] = value
    return out


# -- IGMedia --------------------------------------------------------------------------------

class _MediaRef(NamedTuple):
    world: SimWorld
    m: Media


def _media_username(r: _MediaRef, spec: FieldSpec) -> str:
    owner = r.world.accounts.get(r.m.owner)
    return owner.username if owner else ""


def _media_comments_count(r: _MediaRef, spec: FieldSpec) -> int:
    extra = sum(1 for c in r.world.comments.values()
                if c.media_id == r.m.id and c.user_id == r.m.owner)
    return int(r.world.metric(r.m, "comments")) + extra


def _media_shared_to_feed(r: _MediaRef, spec: FieldSpec) -> Any:
    if r.m.product_type != "REELS":
        return _SKIP
    c = r.world.containers.get(r.m.container_id)
    share = c.params.get("share_to_feed", True) if c else True
    return str(share).lower() not in ("false", "0")


def _media_children(r: _MediaRef, spec: FieldSpec) -> Any:
    if not r.m.children:
        return _SKIP
    kids = [r.world.media[k] for k in r.m.children]
    return {"data": [media_json(r.world, k, spec.children or []) for k in kids]}


_MEDIA: dict[str, Callable[[_MediaRef, FieldSpec], Any]] = {
    "id": lambda r, s: r.m.id,
    "caption": lambda r, s: r.m.caption if r.m.parent_id is None and r.m.caption else _SKIP,
    "media_type": lambda r, s: r.m.media_type,
    "media_product_type": lambda r, s: r.m.product_type,
    "media_url": lambda r, s: r.m.media_url or _SKIP,
    "thumbnail_url": lambda r, s: (
        r.m.thumbnail_url if r.m.media_type == "VIDEO" and r.m.thumbnail_url else _SKIP),
    "permalink": lambda r, s: r.m.permalink,  # recorded responses show it on children too
    "shortcode": lambda r, s: r.m.shortcode,
    "timestamp": lambda r, s: ts(r.m.timestamp),
    "like_count": lambda r, s: int(r.world.metric(r.m, "likes")),
    "comments_count": _media_comments_count,
    "username": _media_username,
    "is_comment_enabled": lambda r, s: r.m.comment_enabled,
    "is_shared_to_feed": _media_shared_to_feed,
    "owner": lambda r, s: {"id": r.m.owner},
    "ig_id": lambda r, s: str(int(r.m.id) % 10**19),
    "children": _media_children,
}
MEDIA_FIELDS = frozenset(_MEDIA)


def media_json(world: SimWorld, m: Media, specs: list[FieldSpec], *,
               indirect: bool = False) -> dict[str, Any]:
    out = _select(_MediaRef(world, m), specs or [FieldSpec("id")], _MEDIA, "IGMedia")
    out.setdefault("id", m.id)  # Graph always returns a node's id
    return out


# -- ShadowIGHashtagMedia -------------------------------------------------------------------

def _hashtag_username(hm: HashtagMedia, spec: FieldSpec) -> Any:
    raise E.invalid_param("The username field cannot be requested on hashtag media")


_HASHTAG_MEDIA: dict[str, Callable[[HashtagMedia, FieldSpec], Any]] = {
    "id": lambda hm, s: hm.id,
    "caption": lambda hm, s: hm.caption,
    "comments_count": lambda hm, s: hm.comments_count,
    "like_count": lambda hm, s: hm.like_count,
    "media_type": lambda hm, s: hm.media_type,
    "media_url": lambda hm, s: f"https://cdn.sim.invalid/{hm.id}.jpg",
    "permalink": lambda hm, s: f"https://www.instagram.com/p/{hm.id[-11:]}/",
    "timestamp": lambda hm, s: ts(hm.timestamp),
    "children": lambda hm, s: (
        {"data": [{"id": hm.id[:-1] + str(i)} for i in range(2)]}
        if hm.media_type == "CAROUSEL_ALBUM" else _SKIP),
    "username": _hashtag_username,
}
HASHTAG_MEDIA_FIELDS = frozenset(_HASHTAG_MEDIA) - {"username"}


def hashtag_media_json(hm: HashtagMedia, specs: list[FieldSpec]) -> dict[str, Any]:
    return _select(hm, specs or [FieldSpec("id")], _HASHTAG_MEDIA, "ShadowIGHashtagMedia")


# -- IGUser ---------------------------------------------------------------------------------

class _UserRef(NamedTuple):
    world: SimWorld
    acct: SimAccount
    me: bool
    discovery: bool


def _user_id(r: _UserRef, spec: FieldSpec | None = None) -> str:
    return r.acct.app_scoped_id if r.me and r.acct.app_scoped_id else r.acct.ig_user_id


def _user_media(r: _UserRef, spec: FieldSpec) -> dict[str, Any]:
    items = r.world.account_media(r.acct.ig_user_id)
    limit = min(int(spec.modifiers.get("limit", "25") or 25), 100)
    chunk, paging = page(items, lambda m: m.id, limit=limit,
                         after=spec.modifiers.get("after"),
                         before=spec.modifiers.get("before"),
                         next_base=None, next_query=None)
    return {"data": [media_json(r.world, m, spec.children or [], indirect=r.discovery)
                     for m in chunk],
            "paging": paging}


def _business_discovery(r: _UserRef, spec: FieldSpec) -> dict[str, Any]:
    if r.discovery:
        raise E.invalid_param("business_discovery cannot be nested")
    username = spec.modifiers.get("username")
    if not username:
        raise E.invalid_param("business_discovery requires .username(...)")
    target = r.world.account_by_username(username)
    if target is None:
        if r.world.config.strict_tokens:
            raise E.GraphError(110, "(#110) Cannot find User")
        target = r.world.synthesize_competitor(username)
    children = spec.children or [FieldSpec("id")]
    if not any(c.name == "id" for c in children):
        children = [*children, FieldSpec("id")]
    return user_json(r.world, target, children, discovery=True)


_USER: dict[str, Callable[[_UserRef, FieldSpec], Any]] = {
    "id": _user_id,
    "user_id": lambda r, s: r.acct.ig_user_id,
    "ig_id": lambda r, s: (
        int(r.acct.ig_user_id[5:]) if r.acct.ig_user_id[5:].isdigit() else 0),
    "username": lambda r, s: r.acct.username,
    "name": lambda r, s: r.acct.name,
    "biography": lambda r, s: r.acct.biography,
    "website": lambda r, s: r.acct.website,
    "profile_picture_url": lambda r, s: f"https://cdn.sim.invalid/{r.acct.ig_user_id}.jpg",
    "followers_count": lambda r, s: r.world.followers_count(r.acct),
    "follows_count": lambda r, s: r.acct.follows_count,
    "media_count": lambda r, s: len(r.world.account_media(r.acct.ig_user_id)),
    "account_type": lambda r, s: "BUSINESS",
    "media": _user_media,
    "business_discovery": _business_discovery,
}
USER_FIELDS = frozenset(_USER)


def user_json(world: SimWorld, acct: SimAccount, specs: list[FieldSpec], *, me: bool = False,
              discovery: bool = False, base: str = "") -> dict[str, Any]:
    ref = _UserRef(world, acct, me, discovery)
    out = _select(ref, specs or [FieldSpec("id")], _USER, "IGUser")
    if "id" not in out:  # Graph always returns a node's id
        out["id"] = _user_id(ref)
    return out


# -- IGComment ------------------------------------------------------------------------------

class _CommentRef(NamedTuple):
    world: SimWorld
    c: Comment


def _comment_replies(r: _CommentRef, spec: FieldSpec) -> dict[str, Any]:
    kids = sorted((c for c in r.world.comments.values() if c.parent_id == r.c.id),
                  key=lambda c: c.timestamp)
    return {"data": [comment_json(r.world, c, spec.children or []) for c in kids]}


_COMMENT: dict[str, Callable[[_CommentRef, FieldSpec], Any]] = {
    "id": lambda r, s: r.c.id,
    "text": lambda r, s: r.c.text,
    "timestamp": lambda r, s: ts(r.c.timestamp),
    "username": lambda r, s: r.c.username,
    "like_count": lambda r, s: r.c.like_count,
    "hidden": lambda r, s: r.c.hidden,
    "from": lambda r, s: {"id": r.c.user_id, "username": r.c.username},
    "media": lambda r, s: {"id": r.c.media_id},
    "parent_id": lambda r, s: r.c.parent_id or _SKIP,
    "replies": _comment_replies,
}


def comment_json(world: SimWorld, c: Comment, specs: list[FieldSpec]) -> dict[str, Any]:
    if not specs:
        specs = [FieldSpec("timestamp"), FieldSpec("text"), FieldSpec("id")]
    return _select(_CommentRef(world, c), specs, _COMMENT, "IGComment")
