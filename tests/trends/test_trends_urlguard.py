from __future__ import annotations

import pytest

from contentloop.trends.urlguard import UnsafeURL, check_url, redact_url


def fixed(*addresses: str):
    """A resolver that answers without DNS, like a hostile or split-horizon DNS would."""

    def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/feed", "file:///etc/passwd", "gopher://x/", "javascript:alert(1)", "feed"],
)
def test_non_http_schemes_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURL, match="scheme"):
        check_url(url, allow_private=True)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1/feed", "loopback"),
        ("http://[::1]:8080/feed", "loopback"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.0.10/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://224.0.0.1/", "multicast"),
        ("http://100.64.0.1/", "non-global"),
    ],
)
def test_ip_literals_in_internal_ranges_are_refused(url: str, kind: str) -> None:
    with pytest.raises(UnsafeURL) as info:
        check_url(url)
    assert kind in info.value.reason
    assert "allow_private" in info.value.reason  # tells the person how to opt in


def test_public_ip_literal_passes_without_dns() -> None:
    assert check_url("https://93.184.216.34/feed.xml") == ["93.184.216.34"]


def test_hostname_resolving_to_private_address_is_refused() -> None:
    with pytest.raises(UnsafeURL, match="private address 10.0.0.7"):
        check_url("https://feeds.evil.test/rss", resolver=fixed("93.184.216.34", "10.0.0.7"))


def test_hostname_resolving_to_public_addresses_passes() -> None:
    assert check_url("https://feeds.good.test/rss", resolver=fixed("93.184.216.34")) == [
        "93.184.216.34"
    ]


def test_decimal_encoded_loopback_is_refused_via_resolution() -> None:
    # 2130706433 == 127.0.0.1; the OS resolver decodes it without DNS
    with pytest.raises(UnsafeURL, match="loopback"):
        check_url("http://2130706433/")


def test_allow_private_and_allow_hosts_open_loopback() -> None:
    assert check_url("http://127.0.0.1:9/feed", allow_private=True) == ["127.0.0.1"]
    assert check_url("http://127.0.0.1:9/feed", allow_hosts=("127.0.0.1",)) == ["127.0.0.1"]
    # the allow-list is per host: another internal host stays refused
    with pytest.raises(UnsafeURL):
        check_url("http://10.0.0.1/", allow_hosts=("127.0.0.1",))


def test_missing_host_and_malformed_port_are_refused() -> None:
    with pytest.raises(UnsafeURL, match="no host"):
        check_url("http:///feed")
    with pytest.raises(UnsafeURL, match="malformed"):
        check_url("http://example.org:99999999/")


def test_unresolvable_host_is_refused() -> None:
    def failing(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(UnsafeURL, match="cannot resolve"):
        check_url("https://nowhere.test/", resolver=failing)
    with pytest.raises(UnsafeURL, match="no address"):
        check_url("https://nowhere.test/", resolver=fixed())


def test_error_messages_do_not_leak_query_or_credentials() -> None:
    with pytest.raises(UnsafeURL) as info:
        check_url("http://user:hunter2@127.0.0.1/feed?token=SECRET123")
    text = str(info.value)
    assert "SECRET123" not in text and "hunter2" not in text
    assert "127.0.0.1/feed" in text
    assert redact_url("https://a.test/x?k=v#f") == "https://a.test/x?…"
