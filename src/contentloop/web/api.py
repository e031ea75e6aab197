"""REST API under /api: bearer tokens (`contentloop tokens create --role ROLE`).

No token or an unknown one: 401. A token whose role is too low: 403. Every action calls the
same `Approvals` service as the dashboard.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BaseModel, Field

from contentloop.domain import ContentloopError, IllegalTransition, NotFound, Post, PostState
from contentloop.policy.approvals import ApprovalError
from contentloop.store.web_repo import ApiToken, AuditEntry, Role

from .context import WebContext, ctx

_bearer = HTTPBearer(auto_error=False, description="`contentloop tokens create --role ROLE`")
ID_PATTERN = r"^[A-Za-z0-9._:-]{1,100}$"
PostId = Annotated[str, Path(pattern=ID_PATTERN, description="Post id, e.g. acct-2026-01-05-0")]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or unknown bearer token"},
    403: {"description": "the token's role may not do this"},
}
ACTION_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    404: {"description": "no such post or variant"},
    409: {"description": "the post's state or the policy does not allow this"},
}


def require(role: Role) -> Callable[..., ApiToken]:
    def dep(
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        c: Annotated[WebContext, Depends(ctx)],
    ) -> ApiToken:
        token = c.repo.token(creds.credentials) if creds and creds.credentials else None
        if token is None:
            raise HTTPException(401, "a valid bearer token is required",
                                headers={"WWW-Authenticate": "Bearer"})
        if not token.role.allows(role):
            raise HTTPException(403, f"this needs the {role.value} role; the token is "
                                     f"{token.role.value}")
        return token
    return dep


class PostOut(BaseModel):
    id: str
    account: str
    local_date: str
    scheduled_at: datetime
    state: str
    format: str | None
    variant_id: str | None
    media_id: str | None
    last_error: str

    @classmethod
    def of(cls, p: Post) -> PostOut:
        return cls(id=p.id, account=p.account, local_date=p.local_date,
                   scheduled_at=p.scheduled_at, state=p.state.value,
                   format=p.format.value if p.format else None, variant_id=p.variant_id,
                   media_id=p.media_id, last_error=p.last_error)


class VerdictOut(BaseModel):
    rule: str
    severity: str
    reason: str


class VariantOut(BaseModel):
    id: str
    format: str
    hook: str
    caption: str
    hashtags: list[str]
    score: float
    chosen: bool
    verdicts: list[VerdictOut]


class TransitionOut(BaseModel):
    from_state: str
    to_state: str
    at: datetime
    actor: str
    reason: str


class PostDetailOut(BaseModel):
    post: PostOut
    variants: list[VariantOut]
    transitions: list[TransitionOut]


class AuditOut(BaseModel):
    post_id: str
    account: str
    at: datetime
    actor: str
    action: str
    reason: str
    before: dict[str, Any]
    after: dict[str, Any]

    @classmethod
    def of(cls, e: AuditEntry) -> AuditOut:
        return cls(post_id=e.post_id, account=e.account, at=e.at, actor=e.actor,
                   action=e.action, reason=e.reason, before=e.before, after=e.after)


class ApproveIn(BaseModel):
    variant_id: str | None = Field(None, pattern=ID_PATTERN)
    reason: str = Field("", max_length=2000)


class RejectIn(BaseModel):
    reason: str = Field("", max_length=2000)


class EditIn(BaseModel):
    caption: str = Field(min_length=1, max_length=10_000)
    variant_id: str | None = Field(None, pattern=ID_PATTERN)
    reason: str = Field("", max_length=2000)


class RescheduleIn(BaseModel):
    scheduled_at: AwareDatetime
    reason: str = Field("", max_length=2000)


class MeOut(BaseModel):
    role: str


router = APIRouter(prefix="/api", tags=["api"], responses=ERRORS)
Ctx = Annotated[WebContext, Depends(ctx)]


def _clean(text: str) -> str:
    """Text from the wire without NUL characters (PostgreSQL refuses them)."""
    return text.replace("\x00", "")


def _act(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except NotFound as e:
        raise HTTPException(404, str(e)) from None
    except (IllegalTransition, ApprovalError) as e:
        raise HTTPException(409, str(e)) from None
    except ContentloopError as e:
        raise HTTPException(409, str(e)) from None
    except (OverflowError, ValueError) as e:  # e.g. a date out of range after UTC conversion
        raise HTTPException(422, f"invalid value: {e}") from None


@router.get("/me", response_model=MeOut)
def me(token: Annotated[ApiToken, Depends(require(Role.VIEWER))]) -> MeOut:
    return MeOut(role=token.role.value)


@router.get("/posts", response_model=list[PostOut])
def list_posts(
    c: Ctx,
    _: Annotated[ApiToken, Depends(require(Role.VIEWER))],
    account: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[PostState | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[PostOut]:
    posts = c.store.posts(_clean(account) if account else None,
                          states=[state] if state else None)
    return [PostOut.of(p) for p in posts[:limit]]


@router.get("/posts/{post_id}", response_model=PostDetailOut, responses=ACTION_ERRORS)
def get_post(post_id: PostId, c: Ctx,
             _: Annotated[ApiToken, Depends(require(Role.VIEWER))]) -> PostDetailOut:
    post = _act(lambda: c.store.get_post(post_id))
    return PostDetailOut(
        post=PostOut.of(post),
        variants=[VariantOut(id=v.id, format=v.format.value, hook=v.hook, caption=v.caption,
                             hashtags=list(v.hashtags), score=v.score, chosen=v.chosen,
                             verdicts=[VerdictOut(**x.to_dict()) for x in v.verdicts])
                  for v in c.store.variants(post_id)],
        transitions=[TransitionOut(from_state=t.from_state.value, to_state=t.to_state.value,
                                   at=t.at, actor=t.actor, reason=t.reason)
                     for t in c.store.transitions(post_id)],
    )


def _actor(token: ApiToken) -> str:
    return f"api:{token.label or token.prefix}"


@router.post("/posts/{post_id}/approve", response_model=PostOut, responses=ACTION_ERRORS)
def approve(post_id: PostId, body: ApproveIn, c: Ctx,
            token: Annotated[ApiToken, Depends(require(Role.APPROVER))]) -> PostOut:
    return PostOut.of(_act(lambda: c.approvals.approve(
        post_id, actor=_actor(token), variant_id=body.variant_id, reason=_clean(body.reason))))


@router.post("/posts/{post_id}/reject", response_model=PostOut, responses=ACTION_ERRORS)
def reject(post_id: PostId, body: RejectIn, c: Ctx,
           token: Annotated[ApiToken, Depends(require(Role.APPROVER))]) -> PostOut:
    return PostOut.of(_act(lambda: c.approvals.reject(
        post_id, actor=_actor(token), reason=_clean(body.reason))))


@router.post("/posts/{post_id}/edit", response_model=PostDetailOut, responses=ACTION_ERRORS)
def edit(post_id: PostId, body: EditIn, c: Ctx,
         token: Annotated[ApiToken, Depends(require(Role.APPROVER))]) -> PostDetailOut:
    _act(lambda: c.approvals.edit_caption(post_id, _clean(body.caption), actor=_actor(token),
                                          variant_id=body.variant_id,
                                          reason=_clean(body.reason)))
    return get_post(post_id, c, token)


@router.post("/posts/{post_id}/reschedule", response_model=PostOut, responses=ACTION_ERRORS)
def reschedule(post_id: PostId, body: RescheduleIn, c: Ctx,
               token: Annotated[ApiToken, Depends(require(Role.APPROVER))]) -> PostOut:
    return PostOut.of(_act(lambda: c.approvals.reschedule(
        post_id, body.scheduled_at, actor=_actor(token), reason=_clean(body.reason))))


@router.get("/audit", response_model=list[AuditOut])
def audit(
    c: Ctx,
    _: Annotated[ApiToken, Depends(require(Role.VIEWER))],
    post_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    account: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditOut]:
    entries = c.repo.audit(post_id=post_id, account=_clean(account) if account else None,
                           limit=limit)
    return [AuditOut.of(e) for e in entries]
