"""Pages that are the same for everyone: served early, revalidated with 304s, shared by
proxies, gzipped; pages that are not (tokens, forms) are never any of these."""

import gzip
from unittest import mock

import pytest
from django.test import Client

from certguide.content_cache import PageCacheMiddleware

from .conftest import PUBLIC_PAGES

pytestmark = pytest.mark.django_db

SECURITY_HEADERS = [
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Cross-Origin-Opener-Policy",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_stored_page_keeps_every_header_it_was_built_with(path):
    first = Client().get(path)
    again = Client().get(path)

    assert again.status_code == 200
    for header in SECURITY_HEADERS:
        assert again.headers.get(header) == first.headers.get(header), header
        assert again.headers.get(header), header
    assert again.content == first.content


@pytest.mark.parametrize("path", ["/compare/", "/de/compare/"])
def test_an_anonymous_visitor_gets_a_stored_page_without_a_query_or_a_cookie(
    path, django_assert_num_queries
):
    Client().get(path)

    with (
        django_assert_num_queries(0),
        mock.patch.object(
            PageCacheMiddleware, "_replay", autospec=True, side_effect=PageCacheMiddleware._replay
        ) as served_early,
    ):
        response = Client().get(path)

    assert response.status_code == 200
    assert not response.cookies
    # Answered from the stored copy of its own language, before the rest of the stack.
    assert served_early.call_count == 1


def test_a_browser_with_the_current_page_gets_a_304():
    visitor = Client()
    first = visitor.get("/choose/")
    etag = first.headers["ETag"]

    again = visitor.get("/choose/", headers={"if-none-match": etag})

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    assert "public" in again.headers["Cache-Control"]


def test_an_admin_edit_changes_the_etag(committed):
    from certguide.models import PageSection

    etag = Client().get("/choose/").headers["ETag"]
    section = PageSection.objects.get(slug="choose-intro")
    section.body = "New guidance."
    with committed(execute=True):
        section.save()

    response = Client().get("/choose/", headers={"if-none-match": etag})

    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert "New guidance." in response.content.decode()


def test_campaign_values_give_their_own_etag():
    plain = Client().get("/").headers["ETag"]

    tagged = Client().get("/", {"utm_source": "news"})

    assert tagged.headers["ETag"] != plain
    assert Client().get("/", headers={"if-none-match": plain}).status_code == 304


def test_shared_pages_may_be_kept_by_a_proxy_and_are_revalidated_by_browsers():
    response = Client().get("/")

    cache_control = response.headers["Cache-Control"]
    assert "public" in cache_control
    assert "s-maxage=300" in cache_control
    assert "max-age=0" in cache_control
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.headers["Last-Modified"]


@pytest.mark.parametrize("visit", [1, 2])  # rendered, then served early
def test_shared_pages_are_gzipped_for_clients_that_accept_it(visit):
    for _ in range(visit):
        response = Client().get("/", {"utm_source": "mail"}, headers={"accept-encoding": "gzip"})
    plain = Client().get("/", {"utm_source": "mail"})

    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content) == plain.content
    # A length left from the plain body would make a browser wait for bytes never sent.
    assert int(response.headers.get("Content-Length", len(response.content))) == len(
        response.content
    )


@pytest.mark.parametrize("encoding", ["gzip", ""])
def test_a_page_served_early_answers_as_the_rendered_one_did(encoding):
    headers = {"accept-encoding": encoding}
    rendered = Client().get("/compare/", headers=headers)
    early = Client().get("/compare/", headers=headers)

    for response in (rendered, early):
        body = gzip.decompress(response.content) if encoding else response.content
        assert b"</html>" in body
        assert response.headers.get("Content-Encoding", "") == encoding
    for header in ("ETag", "Last-Modified", "Cache-Control", "Vary", "Content-Type"):
        assert early.headers[header] == rendered.headers[header], header
    # Served early, the page says how long it is, so the server need not chunk it.
    assert int(early.headers["Content-Length"]) == len(early.content)


def test_pages_with_a_form_token_are_never_shared_or_compressed():
    response = Client().get("/free-training/", headers={"accept-encoding": "gzip"})

    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert "public" not in response.headers.get("Cache-Control", "")
    assert "ETag" not in response.headers


def test_a_stored_page_still_redirects_plain_http_to_https(settings):
    Client().get("/compare/")  # stored while https is not enforced
    settings.SECURE_SSL_REDIRECT = True

    response = Client().get("/compare/")

    assert response.status_code == 301
    assert response.headers["Location"].startswith("https://")


def test_a_stored_page_is_refused_to_a_host_that_is_not_ours():
    Client().get("/compare/")

    response = Client(headers={"host": "evil.example"}).get("/compare/")

    assert response.status_code == 400


def test_a_signed_in_marketer_gets_the_page_through_the_whole_stack(admin_client):
    Client().get("/")

    response = admin_client.get("/")

    assert response.status_code == 200
    assert "certguide" in response.content.decode()
