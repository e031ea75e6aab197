"""Response shapes replayed against recorded real Graph API responses (graph-samples)."""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from contentloop.domain import SimulatedClock
from contentloop.sim import SimConfig, SimWorld, create_app

from .conftest import Sim, error_of, sample


def _keys(d: dict) -> set[str]:
    return set(d.keys())


def test_container_create_status_and_publish_shapes(sim: Sim) -> None:
    r = sim.post(f"/v24.0/{sim.ig}/media", image_url="http://127.0.0.1:9/a.jpg")
    assert _keys(r.json()) == _keys(sample("publish/create_photo.json"))
    cid = r.json()["id"]
    assert cid.isdigit() and cid.startswith("178")
    status = sim.get(f"/v24.0/{cid}", fields="id,status,status_code").json()
    assert _keys(status) == _keys(sample("publish/container_info.json"))
    assert status["status"].startswith("Finished")
    pub = sim.publish(cid).json()
    assert _keys(pub) == _keys(sample("publish/publish_container.json"))
    assert pub["id"].startswith("179")


def test_publishing_limit_shapes(sim: Sim) -> None:
    ref = sample("publish/publish_limit_resp.json")
    full = sim.get(f"/{sim.ig}/content_publishing_limit", fields="quota_usage,config").json()
    assert _keys(full) == _keys(ref)
    assert _keys(full["data"][0]) == _keys(ref["data"][0])
    assert _keys(full["data"][0]["config"]) == _keys(ref["data"][0]["config"])
    assert full["data"][0]["config"] == {"quota_total": 50, "quota_duration": 86400}
    default = sim.get(f"/{sim.ig}/content_publishing_limit").json()
    assert default == {"data": [{"quota_usage": 0}]}


def test_user_fields_shape(sim: Sim) -> None:
    ref = sample("users/user_fields.json")
    got = sim.get(f"/{sim.ig}", fields=",".join(ref)).json()
    assert _keys(got) == _keys(ref)
    assert got["id"] == sim.ig and got["followers_count"] == 10_000


def test_me_has_user_id_username_id(sim: Sim) -> None:
    got = sim.get("/me", fields="user_id,username,id").json()
    assert got["user_id"] == sim.ig
    assert got["username"] == "creator"
    assert got["id"].isdigit() and got["id"] != sim.ig  # app-scoped id, as on IGL


def test_media_list_shape_and_fields(sim: Sim) -> None:
    ref = sample("users/medias_p1.json")
    for i in range(3):
        sim.publish(sim.container(image_url=f"http://127.0.0.1:9/{i}.jpg", caption=f"post {i}"))
    fields = ",".join(ref["data"][0])
    got = sim.get(f"/{sim.ig}/media", fields=fields, limit=2).json()
    assert _keys(got) == _keys(ref)
    assert _keys(got["paging"]) == _keys(ref["paging"])
    assert _keys(got["paging"]["cursors"]) == _keys(ref["paging"]["cursors"])
    assert _keys(got["data"][0]) == _keys(ref["data"][0])


def test_carousel_children_shape(sim: Sim) -> None:
    kids = [sim.container(image_url=f"http://127.0.0.1:9/{i}.jpg", is_carousel_item="true")
            for i in range(2)]
    parent = sim.container(media_type="CAROUSEL", children=",".join(kids), caption="album")
    mid = sim.publish(parent).json()["id"]
    ref = sample("medias/children.json")
    fields = ",".join(ref["data"][0])
    got = sim.get(f"/{mid}/children", fields=fields).json()
    assert _keys(got["data"][0]) == _keys(ref["data"][0])
    media = sim.get(f"/{mid}", fields="id,media_type,children{id,media_type}").json()
    assert media["media_type"] == "CAROUSEL_ALBUM"
    assert [c["id"] for c in media["children"]["data"]] == [c["id"] for c in got["data"]]


def test_business_discovery_shape(sim: Sim) -> None:
    ref = sample("discovery/user_fields.json")
    inner = ",".join(ref["business_discovery"])
    got = sim.get(f"/{sim.ig}", fields=f"business_discovery.username(rivalbrand){{{inner}}}").json()
    assert _keys(got) == _keys(ref)
    assert _keys(got["business_discovery"]) == _keys(ref["business_discovery"])
    media = sim.get(
        f"/{sim.ig}",
        fields="business_discovery.username(rivalbrand){media.limit(3){id,like_count}}",
    ).json()["business_discovery"]["media"]
    assert len(media["data"]) == 3
    assert set(media["paging"]) == {"cursors"}  # no next/previous under discovery
    after = media["paging"]["cursors"]["after"]
    page2 = sim.get(
        f"/{sim.ig}",
        fields=f"business_discovery.username(rivalbrand){{media.limit(3).after({after}){{id}}}}",
    ).json()["business_discovery"]["media"]
    assert not {m["id"] for m in page2["data"]} & {m["id"] for m in media["data"]}


def test_error_envelope_shape(sim: Sim) -> None:
    r = sim.publish("17889000000000000")
    err = error_of(r)
    assert r.status_code == 400
    assert set(err) == {"message", "type", "code", "error_subcode", "is_transient",
                        "error_user_title", "error_user_msg", "fbtrace_id"}
    assert (err["code"], err["error_subcode"]) == (24, 2207008)


def test_hashtag_shapes(sim: Sim) -> None:
    search = sim.get("/ig_hashtag_search", user_id=sim.ig, q="coffee").json()
    assert _keys(search["data"][0]) == _keys(sample("users/hashtag_search.json")["data"][0])
    hid = search["data"][0]["id"]
    info = sim.get(f"/{hid}", fields="id,name").json()
    assert _keys(info) == _keys(sample("hashtags/hashtag_info.json"))
    assert info["name"] == "coffee"
    ref = sample("hashtags/hashtag_recent_medias_p1.json")
    fields = ",".join(ref["data"][0])
    got = sim.get(f"/{hid}/top_media", user_id=sim.ig, fields=fields, limit=5).json()
    assert _keys(got["data"][0]) == _keys(ref["data"][0])
    assert _keys(got["paging"]["cursors"]) == _keys(ref["paging"]["cursors"])


def test_insights_shapes(sim: Sim) -> None:
    mid = sim.publish(sim.container(image_url="http://127.0.0.1:9/a.jpg")).json()["id"]
    sim.clock.advance(timedelta(days=2))
    ref = sample("medias/insights.json")["data"][0]
    got = sim.get(f"/{mid}/insights", metric="reach,saved").json()["data"]
    assert [g["name"] for g in got] == ["reach", "saved"]
    assert _keys(got[0]) == _keys(ref)
    ref_bd = sample("medias/insights_new.json")["data"][0]
    bd = sim.get(f"/{mid}/insights", metric="profile_activity", breakdown="action_type").json()
    assert _keys(bd["data"][0]) == _keys(ref_bd)
    ref_tv = sample("users/user_insights_new.json")["data"][0]
    tv = sim.get(f"/{sim.ig}/insights", metric="reach", period="day",
                 metric_type="total_value", breakdown="media_product_type").json()
    assert _keys(tv["data"][0]) == _keys(ref_tv)
    ref_ts = sample("users/user_insights.json")["data"][0]
    ts = sim.get(f"/{sim.ig}/insights", metric="reach", period="day").json()
    assert _keys(ts["data"][0]) == _keys(ref_ts)
    assert _keys(ts["data"][0]["values"][0]) == _keys(ref_ts["values"][0])


def test_testclient_version_prefix_and_json_body() -> None:
    world = SimWorld(SimulatedClock(), SimConfig(validate_media=False))
    ig, token = world.create_account("tc")
    with TestClient(create_app(world)) as client:  # type: ignore[arg-type]
        a = client.get("/v25.0/me", params={"fields": "user_id", "access_token": token}).json()
        b = client.get("/me", params={"fields": "user_id"},
                       headers={"Authorization": f"OAuth {token}"}).json()
        assert a == b
        assert a["user_id"] == ig
        r = client.post(f"/{ig}/media", json={"image_url": "http://127.0.0.1:9/x.jpg",
                                              "access_token": token})
        assert r.status_code == 200 and r.json()["id"].isdigit()
        r = client.post(f"/{ig}/media", data={"image_url": "http://127.0.0.1:9/x.jpg"},
                        headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
