"""Review learning through the store (both databases), usage accounting, router, and CLI."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from test_creative_template_engine import OPP, make_account, make_post
from typer.testing import CliRunner

from contentloop.config import LLMConfig
from contentloop.creative import TemplateGenerator
from contentloop.creative.fake_llm import FakeLLM
from contentloop.creative.learning import kept_ratio
from contentloop.creative.service import CreativeRouter, build_generator, record_review
from contentloop.domain import SimulatedClock
from contentloop.store import Store, creative_repo


def _store(db_url: str) -> Store:
    return Store(db_url, SimulatedClock(datetime(2026, 1, 5, tzinfo=UTC)))


def test_kept_ratio_measures_what_survived() -> None:
    a = "Stop rinsing rice.\n\nIt washes off the starch you want.\n\nSave this."
    assert kept_ratio(a, a) == 1.0
    assert 0.5 < kept_ratio(a, a.replace("Save this.", "Save it for Sunday.")) < 1.0
    assert kept_ratio(a, "Totally different words here now") < 0.2


def test_reviews_shift_hook_styles_toward_what_people_keep(db_url: str) -> None:
    store = _store(db_url)
    acc = make_account()
    store.ensure_account(acc)
    router = CreativeRouter(store, TemplateGenerator(5))

    def first_styles() -> Counter[str]:
        c: Counter[str] = Counter()
        for i in range(100):
            post = make_post(f"s{i}", i % 28 + 1)
            c[router.generate(acc, post, [OPP], 1)[0].hook_style] += 1
        return c

    before = first_styles()
    liked, disliked = "listicle", before.most_common(1)[0][0]
    if disliked == liked:
        disliked = before.most_common(2)[1][0]
    seed_post = make_post("seed", 1)
    for i in range(12):
        for style, kind in ((liked, "keep"), (disliked, "reject")):
            v = router.generate(acc, seed_post, [OPP], 1)[0]
            v.hook_style, v.id = style, f"seed-{style}-{i}"
            record_review(store, v, kind, actor="test")
    after = first_styles()
    assert after[liked] > before[liked] + 8
    assert after[disliked] < before[disliked]
    events = creative_repo.review_events(store, acc.handle)
    assert Counter(e.kind for e in events) == {"keep": 12, "reject": 12}
    store.close()


def test_llm_usage_totals_per_account_and_post(db_url: str, llm: tuple[FakeLLM, str]) -> None:
    fake, url = llm
    store = _store(db_url)
    acc = make_account()
    gen = build_generator(seed=1, store=store, engines={acc.handle: "llm"},
                          llm=LLMConfig(base_url=url, model="m", price_input_per_mtok=1.0,
                                        price_output_per_mtok=4.0))
    try:
        gen.generate(acc, make_post("u1"), [OPP], 3)
        fake.mode = "invalid"
        gen.generate(acc, make_post("u2"), [OPP], 3)
    finally:
        gen.close()
    p1 = creative_repo.usage_totals(store, post_id="u1")
    p2 = creative_repo.usage_totals(store, post_id="u2")
    total = creative_repo.usage_totals(store, account=acc.handle)
    assert p1.calls == 3 and p1.fallbacks == 0 and p1.prompt_tokens > 0
    assert p2.calls == 3 and p2.fallbacks == 3
    assert total.calls == 6
    assert total.prompt_tokens == p1.prompt_tokens + p2.prompt_tokens
    assert abs(total.cost_usd - (p1.cost_usd + p2.cost_usd)) < 1e-9
    assert total.cost_usd > 0
    store.close()


def test_cli_generate_and_variants_show(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from contentloop.cli.main import app

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    res = runner.invoke(app, ["generate", "--account", "sandbox_coffee", "--days", "2"])
    assert res.exit_code == 0, res.output
    slot = res.output.split()[0]
    shown = runner.invoke(app, ["variants", "show", slot, "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["slot"] == slot and len(data["variants"]) >= 3
    scores = [v["score"] for v in data["variants"]]
    assert scores == sorted(scores, reverse=True)
    assert len({v["hook_style"] for v in data["variants"]}) == len(data["variants"])
    vid = data["variants"][0]["id"]
    (tmp_path / "c.txt").write_text("My own caption.\n\nSave this for your next brew.")
    assert runner.invoke(app, ["variants", "edit", vid, "--caption-file", "c.txt"]).exit_code == 0
    again = json.loads(runner.invoke(app, ["variants", "show", slot, "--json"]).output)
    assert any(v["caption"].startswith("My own caption.") for v in again["variants"])
    missing = runner.invoke(app, ["variants", "show", "nope"])
    assert missing.exit_code == 1
