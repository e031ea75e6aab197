"""Creative engine throughput.

template_variants_per_s: TemplateGenerator at 100 accounts x 7 days x 3 variants, each post
  checked against its account's recent captions (as the loop does).
llm_speedup_c16: LLMGenerator against a loopback OpenAI-compatible server answering every
  call after 300 ms, variants/s at concurrency 16 divided by variants/s at concurrency 1.

Usage: python bench/generate.py [--quick]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from contentloop.creative import TemplateGenerator
from contentloop.creative.fake_llm import FakeLLM, serve_fake_llm
from contentloop.creative.llm_engine import GenerationJob, LLMGenerator, LLMOptions
from contentloop.domain import Account, BrandProfile, Format, Opportunity, Pillar, Post

NICHES = ["specialty coffee", "home cooking", "home workouts", "indoor plants", "budgeting"]


def make_accounts(n: int) -> list[Account]:
    out = []
    for i in range(n):
        niche = NICHES[i % len(NICHES)]
        word = niche.split()[-1]
        brand = BrandProfile(
            pillars=(Pillar("tips", 2.0, (word, f"{word} basics")),
                     Pillar("gear", 1.0, ("tools",))),
            ctas=("Save this for later.", "Send this to a friend who needs it."),
            hashtags_branded=(f"#acct{i}",), hashtags_niche=(f"#{word}", f"#{word}tips"),
        )
        out.append(Account(f"acct{i}", niche=niche, brand=brand,
                           formats=(Format.IMAGE, Format.CAROUSEL, Format.REEL, Format.STORY)))
    return out


def opportunities(acc: Account) -> list[Opportunity]:
    word = acc.niche.split()[-1]
    return [
        Opportunity(f"{acc.handle}-o{j}", acc.handle, f"{word} idea {j}", 0.9 - j * 0.1, "x",
                    evidence=({"kind": "signal", "source": "Weekly Digest",
                               "title": f"Why {word} idea {j} is trending this month"},),
                    tags=(f"{word}{j}",), pillar="tips")
        for j in range(3)
    ]


def bench_template(accounts: int, days: int) -> float:
    gen = TemplateGenerator(7)
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    count = 0
    t0 = time.perf_counter()
    for acc in make_accounts(accounts):
        opps = opportunities(acc)
        recent: list[str] = []
        for d in range(days):
            at = start + timedelta(days=d)
            post = Post(f"{acc.handle}-{d}", acc.handle, at.date().isoformat(), at)
            vs = gen.generate(acc, post, opps, 3, recent_captions=recent[-90:])
            recent += [v.caption for v in vs]
            count += len(vs)
    return count / (time.perf_counter() - t0)


def bench_llm(url: str, concurrency: int, posts: int) -> float:
    gen = LLMGenerator(LLMOptions(url, "bench", timeout_s=10, concurrency=concurrency),
                       fallback=TemplateGenerator(1))
    accs = make_accounts(posts)
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    jobs = [GenerationJob(a, Post(f"{a.handle}-c{concurrency}", a.handle, "2026-01-05", at),
                          opportunities(a), 3) for a in accs]
    t0 = time.perf_counter()
    try:
        results = gen.generate_batch(jobs)
    finally:
        elapsed = time.perf_counter() - t0
        gen.close()
    variants = [v for r in results for v in r]
    llm_made = sum(v.generator == "llm" for v in variants)
    print(f"  concurrency {concurrency:>2}: {len(variants)} variants ({llm_made} from the model) "
          f"in {elapsed:.2f} s")
    return len(variants) / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller LLM run (~20 s)")
    args = ap.parse_args()
    rate = bench_template(100, 7)
    print(f"template: 100 accounts x 7 days x 3 variants at {rate:.0f} variants/s")
    fake = FakeLLM(latency_s=0.3)
    url, stop = serve_fake_llm(fake)
    try:
        posts = 8 if args.quick else 24
        c1 = bench_llm(url, 1, posts)
        c16 = bench_llm(url, 16, posts)
    finally:
        stop()
    print(f"template_variants_per_s={rate:.0f}")
    print(f"llm_speedup_c16={c16 / c1:.1f}")


if __name__ == "__main__":
    main()
