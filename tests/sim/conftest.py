"""Fixtures: a simulator on loopback, a media host (pytest-httpserver) and generated media."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from PIL import Image
from pytest_httpserver import HTTPServer

from contentloop.domain import SimulatedClock
from contentloop.sim import SimConfig, SimWorld, serve_in_thread

SAMPLES = Path("/work/shared/reference/graph-samples/instagram/apidata")


def sample(rel: str) -> Any:
    return json.loads((SAMPLES / rel).read_text())


def jpeg(width: int, height: int, quality: int = 80) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (10, 20, 30)).save(buf, "PNG")
    return buf.getvalue()


def _ffmpeg(out: Path, seconds: float, fps: int, size: str = "320x568") -> bytes:
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc=size={size}:rate={fps}",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
         "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-movflags", "+faststart", str(out)],
        check=True, timeout=60,
    )
    return out.read_bytes()


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    d = tmp_path_factory.mktemp("videos")
    return {
        "good": _ffmpeg(d / "good.mp4", 3.5, 30),
        "short": _ffmpeg(d / "short.mp4", 1.0, 30),
        "slow_fps": _ffmpeg(d / "slow.mp4", 3.5, 15),
    }


@pytest.fixture
def media_host(httpserver: HTTPServer, videos: dict[str, bytes]) -> Callable[[str], str]:
    """Serve a fixed catalogue of files; returns url_for(name)."""
    files = {
        "square.jpg": (jpeg(1080, 1080), "image/jpeg"),
        "portrait.jpg": (jpeg(1080, 1350), "image/jpeg"),
        "story.jpg": (jpeg(1080, 1920), "image/jpeg"),
        "wide.jpg": (jpeg(2000, 500), "image/jpeg"),
        "bad.png": (png(1080, 1080), "image/png"),
        "good.mp4": (videos["good"], "video/mp4"),
        "short.mp4": (videos["short"], "video/mp4"),
        "slow.mp4": (videos["slow_fps"], "video/mp4"),
    }
    for name, (data, ctype) in files.items():
        httpserver.expect_request(f"/{name}").respond_with_data(data, content_type=ctype)
    # A "JPEG" over 8 MiB: valid header, padded with random-looking bytes.
    big = jpeg(1080, 1080) + bytes(range(256)) * (9 * 4096)
    httpserver.expect_request("/big.jpg").respond_with_data(big, content_type="image/jpeg")
    httpserver.expect_request("/missing.jpg").respond_with_data("nope", status=404)
    return lambda name: httpserver.url_for(f"/{name}")


@dataclass
class Sim:
    world: SimWorld
    clock: SimulatedClock
    url: str
    client: httpx2.Client
    ig: str
    token: str

    def get(self, path: str, **params: Any) -> httpx2.Response:
        params.setdefault("access_token", self.token)
        return self.client.get(path, params=params)

    def post(self, path: str, **params: Any) -> httpx2.Response:
        params.setdefault("access_token", self.token)
        return self.client.post(path, params=params)

    def container(self, **params: Any) -> str:
        r = self.post(f"/v24.0/{self.ig}/media", **params)
        assert r.status_code == 200, r.text
        return str(r.json()["id"])

    def finish(self, cid: str, max_polls: int = 10) -> str:
        for _ in range(max_polls):
            code = self.get(f"/v24.0/{cid}", fields="status_code").json()["status_code"]
            if code != "IN_PROGRESS":
                return str(code)
        return "IN_PROGRESS"

    def publish(self, cid: str) -> httpx2.Response:
        return self.post(f"/v24.0/{self.ig}/media_publish", creation_id=cid)


def error_of(r: httpx2.Response) -> dict[str, Any]:
    body = r.json()
    assert "error" in body, body
    return dict(body["error"])


@pytest.fixture
def make_sim() -> Iterator[Callable[..., Sim]]:
    stops: list[Callable[[], None]] = []
    clients: list[httpx2.Client] = []

    def make(**cfg: Any) -> Sim:
        followers = cfg.pop("followers", 10_000)
        cfg.setdefault("validate_media", False)
        clock = SimulatedClock()
        world = SimWorld(clock, SimConfig(**cfg))
        ig, token = world.create_account("creator", followers=followers)
        url, stop = serve_in_thread(world)
        stops.append(stop)
        client = httpx2.Client(base_url=url, timeout=30)
        clients.append(client)
        return Sim(world, clock, url, client, ig, token)

    yield make
    for c in clients:
        c.close()
    for s in stops:
        s()


@pytest.fixture
def sim(make_sim: Callable[..., Sim]) -> Sim:
    return make_sim()
