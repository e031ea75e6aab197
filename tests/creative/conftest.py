from __future__ import annotations

from collections.abc import Iterator

import pytest

from contentloop.creative.fake_llm import FakeLLM, serve_fake_llm


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[tuple[FakeLLM, str]]:
    fake = FakeLLM()
    url, stop = serve_fake_llm(fake)
    yield fake, url
    stop()


@pytest.fixture()
def llm(fake_llm: tuple[FakeLLM, str]) -> tuple[FakeLLM, str]:
    fake, url = fake_llm
    fake.mode, fake.latency_s, fake.slow_s = "valid", 0.0, 5.0
    fake.script.clear()
    fake.requests.clear()
    return fake, url
