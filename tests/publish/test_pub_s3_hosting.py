"""S3-compatible media hosting against moto's server on loopback, and the config switch."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import httpx2
import pytest
from PIL import Image

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

from contentloop.config import MediaConfig  # noqa: E402
from contentloop.domain import Format, SimulatedClock  # noqa: E402
from contentloop.instagram import GraphClient  # noqa: E402
from contentloop.publish import Publisher, PublishJob, PublishOutcome  # noqa: E402
from contentloop.publish.hosting import MediaHost  # noqa: E402
from contentloop.publish.media import make_media_host  # noqa: E402
from contentloop.publish.s3hosting import S3HostingError, S3MediaHost  # noqa: E402
from contentloop.sim import SimConfig, SimWorld, serve_in_thread  # noqa: E402

BUCKET = "cl-media"


@pytest.fixture(scope="module")
def s3():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=BUCKET)
    client.put_bucket_policy(Bucket=BUCKET, Policy=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",'
        f'"Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/*"}}]}}'))
    yield endpoint, client
    server.stop()


def _host(tmp_path, s3, **kw) -> S3MediaHost:
    endpoint, client = s3
    return S3MediaHost(tmp_path, bucket=BUCKET, public_base_url=f"{endpoint}/{BUCKET}",
                       endpoint_url=endpoint, client=client, **kw).start()


def test_upload_once_under_an_unguessable_key(tmp_path, s3):
    _, client = s3
    (tmp_path / "a.jpg").write_bytes(b"first version")
    h = _host(tmp_path, s3)
    url = h.url_for("a.jpg")
    key = url.split(f"/{BUCKET}/", 1)[1]
    prefix, token, name = key.split("/")
    assert (prefix, name, len(token)) == ("media", "a.jpg", 32)
    r = httpx2.get(url)
    assert r.status_code == 200 and r.content == b"first version"
    assert r.headers["content-type"] == "image/jpeg"
    etag = client.head_object(Bucket=BUCKET, Key=key)["ETag"]
    assert h.url_for(tmp_path / "a.jpg") == url  # same file: no second upload
    assert client.head_object(Bucket=BUCKET, Key=key)["ETag"] == etag
    (tmp_path / "a.jpg").write_bytes(b"second, longer version")
    assert h.url_for("a.jpg") == url
    assert httpx2.get(url).content == b"second, longer version"  # changed file re-uploaded
    ranged = httpx2.get(url, headers={"Range": "bytes=0-5"})
    assert ranged.status_code == 206 and ranged.content == b"second"
    with pytest.raises(ValueError):
        h.url_for(tmp_path.parent / "elsewhere.jpg")


def test_upload_failure_is_explained(tmp_path, s3):
    endpoint, client = s3
    (tmp_path / "b.jpg").write_bytes(b"x")
    h = S3MediaHost(tmp_path, bucket="no-such-bucket", public_base_url=endpoint,
                    endpoint_url=endpoint, client=client)
    with pytest.raises(S3HostingError) as exc:
        h.url_for("b.jpg")
    assert "no-such-bucket" in str(exc.value) and "b.jpg" in str(exc.value)
    assert "testing" not in str(exc.value)


def test_simulator_publishes_media_fetched_from_the_bucket(tmp_path, s3):
    Image.new("RGB", (1080, 1350), "#88aa44").save(tmp_path / "post.jpg", "JPEG", quality=80)
    h = _host(tmp_path, s3)
    clock = SimulatedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    world = SimWorld(clock, SimConfig(seed=1))
    ig, token = world.create_account("bucket_brand")
    base, stop = serve_in_thread(world)
    try:
        with GraphClient(base, token, clock=clock, timeout=10) as client:
            class Journal:
                def record_container(self, post_id, container_id): ...
                def record_published(self, post_id, media_id, at): ...
                def record_attempt(self, attempt): ...

            res = Publisher(client, clock, Journal(), rng=random.Random(1)).publish(PublishJob(
                post_id="s3post", ig_user_id=ig, format=Format.IMAGE, caption="from s3",
                image_url=h.url_for("post.jpg")))
        assert res.outcome is PublishOutcome.PUBLISHED, res.message
        [rec] = world.published_records()
        assert rec["caption"] == "from s3"
    finally:
        stop()


def test_config_chooses_the_backend(tmp_path, s3, monkeypatch):
    endpoint, _ = s3
    local = make_media_host(None, tmp_path)
    assert isinstance(local, MediaHost)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    cfg = MediaConfig(backend="s3", s3_endpoint_url=endpoint, s3_bucket=BUCKET,
                      s3_region="us-east-1", public_base_url=f"{endpoint}/{BUCKET}",
                      s3_prefix="posts")
    h = make_media_host(cfg, tmp_path, secret_key="k" * 32).start()
    (tmp_path / "c.jpg").write_bytes(b"config path")
    url = h.url_for("c.jpg")
    assert f"/{BUCKET}/posts/" in url and httpx2.get(url).content == b"config path"
    again = make_media_host(cfg, tmp_path, secret_key="k" * 32)
    assert again.url_for("c.jpg") == url  # the secret key makes URLs stable
