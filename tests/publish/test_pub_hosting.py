"""MediaHost must answer Range and HEAD like a CDN, since Meta's fetcher uses Range."""

from __future__ import annotations

import httpx2
import pytest

from contentloop.publish.hosting import MediaHost, path_token


@pytest.fixture
def host(tmp_path):
    data = bytes(range(256)) * 40  # 10240 bytes
    (tmp_path / "a.jpg").write_bytes(data)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "café reel.mp4").write_bytes(b"0123456789")
    with MediaHost(tmp_path) as h:
        yield h, data


def test_full_get_head_and_ranges(host):
    h, data = host
    url = h.url_for("a.jpg")
    assert url.startswith("http://127.0.0.1:")
    r = httpx2.get(url)
    assert r.status_code == 200 and r.content == data
    assert r.headers["accept-ranges"] == "bytes" and r.headers["content-type"] == "image/jpeg"
    head = httpx2.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(data))
    assert head.content == b""
    part = httpx2.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    tail = httpx2.get(url, headers={"Range": "bytes=-16"})
    assert tail.status_code == 206 and tail.content == data[-16:]
    open_end = httpx2.get(url, headers={"Range": "bytes=10000-"})
    assert open_end.content == data[10000:]
    bad = httpx2.get(url, headers={"Range": "bytes=999999-"})
    assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{len(data)}"


def test_urls_are_ascii_and_confined_to_root(host, tmp_path):
    h, _ = host
    url = h.url_for(tmp_path / "sub" / "café reel.mp4")
    assert url.isascii() and " " not in url
    assert httpx2.get(url).content == b"0123456789"
    with pytest.raises(ValueError):
        h.url_for(tmp_path.parent / "elsewhere.jpg")
    assert httpx2.get(h.base_url + "/../../etc/passwd").status_code == 404
    assert httpx2.get(h.base_url + "/missing.jpg").status_code == 404
    # Even a correctly signed path cannot climb out of the root.
    forged = path_token(h.secret, "../outside.txt")
    (tmp_path.parent / "outside.txt").write_text("secret")
    assert httpx2.get(f"{h.base_url}/{forged}/../outside.txt").status_code == 404
    assert httpx2.get(f"{h.base_url}/{forged}/%2e%2e/outside.txt").status_code == 404


def test_urls_are_unguessable(host, tmp_path):
    h, data = host
    url = h.url_for("a.jpg")
    token = url.split("/")[-2]
    assert len(token) == 32 and int(token, 16) >= 0
    assert httpx2.get(url).content == data
    assert httpx2.get(h.base_url + "/a.jpg").status_code == 404  # the plain path is not served
    assert httpx2.get(url.replace(token, "0" * 32)).status_code == 404
    other = h.url_for(tmp_path / "sub" / "café reel.mp4")
    swapped = f"{h.base_url}/{token}/{other.split('/', 4)[4].split('/', 1)[1]}"
    assert httpx2.get(swapped).status_code == 404  # a token opens only its own file
    assert httpx2.head(url.replace(token, token[:-1] + "x")).status_code == 404
    again = MediaHost(tmp_path, secret=h.secret, public_base_url="https://x.test")
    assert again.url_for("a.jpg").split("/")[-2] == token  # stable with a stable secret
    fresh = MediaHost(tmp_path, public_base_url="https://x.test")
    assert fresh.url_for("a.jpg").split("/")[-2] != token  # random secret by default


def test_public_base_url_and_stop(tmp_path):
    (tmp_path / "x.jpg").write_bytes(b"x")
    h = MediaHost(tmp_path, public_base_url="https://cdn.example.org/media/")
    url = h.url_for("x.jpg")
    assert url.startswith("https://cdn.example.org/media/") and url.endswith("/x.jpg")
    assert url == f"https://cdn.example.org/media/{path_token(h.secret, 'x.jpg')}/x.jpg"
    local = MediaHost(tmp_path).start()
    url = local.url_for("x.jpg")
    local.stop()
    with pytest.raises(httpx2.TransportError):
        httpx2.get(url, timeout=1)
