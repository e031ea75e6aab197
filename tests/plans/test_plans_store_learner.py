"""Weekly plans: the repository on SQLite and PostgreSQL, the Learner writing proposals and
following an approved/edited plan, and a planted edit changing the next calendar."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect

from contentloop.domain import NotFound, PostState, SimulatedClock
from contentloop.optimize.plans import (
    PlanInvalid,
    approve_plan,
    edit_plan,
    local_week,
    validate_allocation,
)
from contentloop.store import Store
from contentloop.store.plans_repo import PlansRepo, PlanStatus
from contentloop.store.web_repo import WebRepo

from .helpers import PILLARS, account, learner, loop, opportunities

ALLOC = {"format": {"reel": 0.6, "image": 0.4}, "pillar": {"tips": 1.0}}


@pytest.fixture
def store(db_url: str, clock: SimulatedClock):  # type: ignore[no-untyped-def]
    s = Store(db_url, clock)
    yield s
    s.close()


def test_repository_propose_refresh_decide_and_keep_a_human_decision(store: Store) -> None:
    repo = PlansRepo(store)
    assert "plans" in inspect(store.engine).get_table_names()
    plan, created = repo.propose("acme", "2026-W11", "2026-03-09", ALLOC)
    assert created and plan.status is PlanStatus.PROPOSED and plan.allocation == ALLOC
    assert plan.proposed_at == store.clock.now()
    store.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    newer = {"format": {"reel": 1.0}}
    again, created = repo.propose("acme", "2026-W11", "2026-03-09", newer)
    assert not created and again.allocation == newer and again.proposal == newer
    assert again.proposed_at == store.clock.now()
    with pytest.raises(NotFound, match="no plan for acme in 2026-W12"):
        repo.decide("acme", "2026-W12", PlanStatus.APPROVED, "web:alice")
    before, after = repo.decide("acme", "2026-W11", PlanStatus.EDITED, "cli:bob",
                                allocation=ALLOC, note="pause recipes")
    assert before.status is PlanStatus.PROPOSED
    assert (after.status, after.decided_by, after.note) == (PlanStatus.EDITED, "cli:bob",
                                                            "pause recipes")
    assert after.decided_at == store.clock.now() and after.allocation == ALLOC
    assert after.proposal == newer  # the proposal it came from is kept
    # A refit after the human decision does not overwrite it.
    kept, created = repo.propose("acme", "2026-W11", "2026-03-09", {"format": {"image": 1.0}})
    assert not created and kept.status is PlanStatus.EDITED and kept.allocation == ALLOC
    assert repo.get("acme", "2026-W11") == kept
    repo.propose("acme", "2026-W12", "2026-03-16", newer)
    repo.propose("other", "2026-W11", "2026-03-09", newer)
    assert [p.week for p in repo.list("acme")] == ["2026-W12", "2026-W11"]
    assert repo.get("other", "2026-W12") is None


def test_refit_proposes_next_local_week_and_leaves_an_approved_week_alone(
        store: Store) -> None:
    acc = account()
    lrn = learner(store)
    decided = lrn.refit(acc)
    # 2026-03-02 06:00 UTC is Monday 07:00 in Berlin: ISO week 10, so next week is 11.
    plan = PlansRepo(store).get("acme", "2026-W11")
    assert plan is not None and plan.status is PlanStatus.PROPOSED
    assert plan.week_start == "2026-03-09"
    fmt = next(d for d in decided if d.kind == "format")
    assert plan.allocation["format"] == pytest.approx(fmt.probabilities, abs=1e-3)
    assert set(plan.allocation) == {"format", "pillar", "hook_style", "slot_hour"}
    for shares in plan.allocation.values():
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)
    audit = WebRepo(store).audit(account="acme")
    assert [(e.post_id, e.action, e.actor) for e in audit] == [
        ("plan:2026-W11", "plan_proposed", "optimizer")]
    approved = approve_plan(store, acc, "2026-W11", actor="cli:ann")
    assert approved.status is PlanStatus.APPROVED and approved.decided_by == "cli:ann"
    store.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    lrn.seed = 99
    lrn.refit(acc)
    after = PlansRepo(store).get("acme", "2026-W11")
    assert after == approved  # untouched by the later refit
    assert [e.action for e in WebRepo(store).audit(account="acme")] == [
        "plan_approve", "plan_proposed"]


def test_edit_validation_names_the_key(store: Store) -> None:
    acc = account()
    cases = [
        ({"colour": {"red": 1.0}}, "colour"),
        ({"pillar": {"news": 1.0}}, "pillar.news"),
        ({"format": {"reel": 1.5}}, "format.reel"),
        ({"format": {"reel": "lots"}}, "format.reel"),
        ({"pillar": {"tips": 0.5, "recipes": 0.2}}, "pillar"),
        ({"slot_hour": {"25": 1.0}}, "slot_hour.25"),
        ([1, 2], ""),
    ]
    for data, key in cases:
        with pytest.raises(PlanInvalid) as err:
            validate_allocation(acc, data)
        assert err.value.key == key, (data, str(err.value))
        assert key in str(err.value)
    ok = validate_allocation(acc, {"allocation": {"slot_hour": {"09:00": 0.5, "19": 0.5},
                                                  "pillar": {"tips": 0.7, "behind": 0.3}}},
                             base={"format": {"reel": 1.0}})
    assert ok == {"format": {"reel": 1.0}, "slot_hour": {"9": 0.5, "19": 0.5},
                  "pillar": {"tips": 0.7, "recipes": 0.0, "behind": 0.3}}


def _calendar(tmp: Path, clock: SimulatedClock, edit: dict | None) -> list:  # type: ignore[type-arg]
    """Plan and draft the next 7 days; with `edit`, a person edited this week's plan first."""
    store = Store(f"sqlite:///{tmp}", clock)
    try:
        acc = account()
        opportunities(store, acc)
        lrn = learner(store)
        lrn.refit(acc)
        if edit is not None:
            edit_plan(store, acc, local_week(acc, clock.now()), edit, actor="cli:ann",
                      note="no behind-the-scenes this week")
        lp = loop(store, acc, lrn)
        assert lp.plan(7) == 7
        assert lp.generate() == 7
        posts = store.posts("acme", states=[PostState.DRAFTED])
        return [(p, store.variants(p.id)) for p in posts]
    finally:
        store.close()


def test_a_planted_edit_changes_the_next_calendar(tmp_path: Path,
                                                   clock: SimulatedClock) -> None:
    base = _calendar(tmp_path / "base.db", clock, None)
    base_variants = [v for _p, vs in base for v in vs]
    assert {v.pillar for v in base_variants} >= {"behind"}  # without the plan it is used
    assert len({v.format.value for v in base_variants}) == 3
    assert len({p.scheduled_at.hour for p, _ in base}) > 1

    edit = {"pillar": {"tips": 0.5, "recipes": 0.5, "behind": 0.0},
            "format": {"reel": 1.0},
            "slot_hour": {"19": 1.0}}
    planned = _calendar(tmp_path / "edit.db", clock, edit)
    variants = [v for _p, vs in planned for v in vs]
    assert len(planned) == 7 and variants
    assert "behind" not in {v.pillar for v in variants}  # share 0: not used at all
    assert {v.pillar for v in variants} <= set(PILLARS) - {"behind"}
    assert {v.format.value for v in variants} == {"reel"}
    berlin = [p.scheduled_at.astimezone(ZoneInfo("Europe/Berlin")).hour for p, _ in planned]
    assert set(berlin) == {19}


def test_format_share_reaches_generator_preferences(tmp_path: Path,
                                                     clock: SimulatedClock) -> None:
    store = Store(f"sqlite:///{tmp_path / 'p.db'}", clock)
    try:
        acc = account()
        lrn = learner(store)
        lrn.refit(acc)
        before = lrn.preferences(acc)
        assert before is not None
        week = local_week(acc, clock.now())
        # A proposed (not yet approved) plan for this week changes nothing.
        PlansRepo(store).propose("acme", week, "2026-03-02",
                                 {"format": {"reel": 1.0}, "pillar": {"tips": 1.0}})
        assert lrn.preferences(acc) == before
        edit_plan(store, acc, week, {"format": {"carousel": 0.8, "image": 0.2}}, actor="ann")
        prefs = lrn.preferences(acc)
        assert prefs is not None
        assert prefs["format"] == {"image": 0.2, "carousel": 0.8, "reel": 0.0}
        assert prefs["pillar"] == {"tips": 1.0}  # kept from the plan it edited
        # Drafts follow it: carousel and image only, carousels most.
        opportunities(store, acc)
        lp = loop(store, acc, lrn)
        lp.plan(7)
        lp.generate()
        formats = Counter(v.format.value for p in store.posts("acme")
                          for v in store.variants(p.id))
        assert "reel" not in formats and formats["carousel"] > formats["image"]
        # Next week has no decided plan: back to the optimizer's decisions.
        clock.advance(timedelta(days=7))
        assert lrn.preferences(acc) == {
            d.kind: dict(d.probabilities) for d in store.decisions("acme")
            if d.kind != "slot_hour" and d.probabilities}
    finally:
        store.close()
