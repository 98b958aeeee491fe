import re
from html import unescape

import pytest

from .conftest import PUBLIC_PAGES

pytestmark = pytest.mark.django_db


def test_sitemap_lists_every_public_page(visitor, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = visitor.get("/sitemap.xml")

    locations = re.findall(r"<loc>(.*?)</loc>", response.content.decode())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    pages = [*PUBLIC_PAGES, "/wizard/", "/free-training/"]
    # Each page in English (unprefixed) and German (/de/).
    assert sorted(locations) == sorted(
        f"http://testserver{prefix}{path}" for path in pages for prefix in ("", "/de")
    )


def test_sitemap_uses_site_url_not_the_request_host(client, settings):
    settings.SITE_URL = "https://certguide.example"
    settings.ALLOWED_HOSTS = ["internal.lan"]

    body = client.get("/sitemap.xml", HTTP_HOST="internal.lan").content.decode()

    assert "<loc>https://certguide.example/compare/</loc>" in body
    assert "internal.lan" not in body


def test_robots_keeps_admin_and_token_urls_out_and_points_at_the_sitemap(visitor):
    response = visitor.get("/robots.txt")
    lines = response.content.decode().splitlines()

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert lines[0] == "User-agent: *"
    for path in [
        "/admin/",
        "/free-training/confirm/",
        "/free-training/materials/",
        "/free-training/unsubscribe/",
        "/wizard/result/",
    ]:
        assert f"Disallow: {path}" in lines
    assert "Disallow: /" not in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_every_page_in_the_sitemap_shares_its_title_and_description_with_open_graph(visitor):
    locations = re.findall(r"<loc>http://testserver(.*?)</loc>", visitor.get("/sitemap.xml").text)

    for path in locations:
        html = visitor.get(path).content.decode()
        title = unescape(re.search(r"<title>(.*?) · certguide</title>", html, re.S).group(1))
        description = unescape(re.search(r'<meta name="description" content="([^"]*)"', html)[1])
        og_title = unescape(re.search(r'<meta property="og:title" content="([^"]*)"', html)[1])
        og_text = unescape(re.search(r'<meta property="og:description" content="([^"]*)"', html)[1])

        assert (og_title, og_text) == (title.strip(), description), path
