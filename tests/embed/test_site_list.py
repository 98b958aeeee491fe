"""The allow-list: the command, the admin (with its snippet), the dashboard split, embed.js."""

import gzip
import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from embed.models import EmbedSite
from embed.services import normalise_origin
from leads.dashboard import dashboard_figures
from tests.embed.conftest import HOST, Frame
from tests.leads.conftest import make_lead

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "origin"),
    [
        ("https://blog.example.com", "https://blog.example.com"),
        (" HTTPS://Blog.Example.COM/ ", "https://blog.example.com"),
        ("https://blog.example.com:443", "https://blog.example.com"),
        ("http://127.0.0.2:8650", "http://127.0.0.2:8650"),
    ],
)
def test_origins_are_stored_in_one_spelling(typed, origin):
    assert normalise_origin(typed) == origin


@pytest.mark.parametrize(
    "typed",
    [
        "blog.example.com",
        "https://blog.example.com/posts/",
        "https://blog.example.com?x=1",
        "javascript:alert(1)",
        "https://user:pw@blog.example.com",
        "https://blog.example.com; script-src *",
        "https://*",
        "https://blog.example.com:99999",
        "",
    ],
)
def test_anything_but_an_origin_is_refused(typed):
    with pytest.raises(ValidationError):
        normalise_origin(typed)


def test_add_embed_site_prints_the_snippet():
    out = io.StringIO()
    call_command("add_embed_site", "https://Blog.Example.com/", "--name", "blog", stdout=out)
    site = EmbedSite.objects.get()
    assert (site.origin, site.name, site.is_active) == ("https://blog.example.com", "blog", True)
    assert 'data-certguide="quiz" data-certguide-site="blog"' in out.getvalue()
    assert 'src="http://testserver/embed.js"' in out.getvalue()


@pytest.mark.parametrize(
    ("origin", "name", "message"),
    [
        ("https://blog.example.com", "Blog Site", "lower-case letters"),
        ("ftp://blog.example.com", "other", "not an origin"),
        ("https://BLOG.example.com", "other", "already exists"),
        ("https://new.example.com", "blog", "already exists"),
    ],
)
def test_add_embed_site_refuses_bad_or_taken_values(origin, name, message):
    call_command(
        "add_embed_site", "https://blog.example.com", "--name", "blog", stdout=io.StringIO()
    )
    with pytest.raises(CommandError, match=message):
        call_command("add_embed_site", origin, "--name", name, stdout=io.StringIO())
    assert EmbedSite.objects.count() == 1


def test_the_admin_adds_a_site_and_shows_its_snippet(admin_client):
    response = admin_client.post(
        reverse("admin:embed_embedsite_add"),
        {"origin": "https://Blog.example.com/", "name": "blog", "is_active": "on"},
    )
    assert response.status_code == 302
    site = EmbedSite.objects.get()
    assert site.origin == "https://blog.example.com"
    page = admin_client.get(reverse("admin:embed_embedsite_change", args=[site.pk]))
    assert "data-certguide-site=&quot;blog&quot;" in page.content.decode()

    refused = admin_client.post(
        reverse("admin:embed_embedsite_add"),
        {"origin": "https://x.example.com/path", "name": "x", "is_active": "on"},
    )
    assert refused.status_code == 200
    assert "not an origin" in refused.content.decode()
    assert EmbedSite.objects.count() == 1


def test_a_site_switched_off_in_the_admin_leaves_frame_ancestors(admin_client, blog):
    admin_client.post(
        reverse("admin:embed_embedsite_change", args=[blog.pk]),
        {"origin": blog.origin, "name": blog.name},
    )
    response = Frame().get(reverse("embed:start"))
    assert HOST not in response.headers["Content-Security-Policy"]


def test_dashboard_and_csv_split_attempts_and_leads_by_site(admin_client, blog):
    for _ in range(2):
        Frame().start()
    partner = EmbedSite.objects.create(origin="https://p.example.com", name="partner")
    Frame().start(site="partner")
    admin_client.post(reverse("wizard:start"))  # the site's own quiz is no embed
    make_lead(email="a@example.com", placement="embed:blog")
    make_lead(email="b@example.com", placement="wizard-result")

    today = timezone.localdate()
    groups = {g.placement: g for g in dashboard_figures(start=today, end=today).by_embed_site}
    assert set(groups) == {"embed:blog", "embed:partner"}
    assert (groups["embed:blog"].started, groups["embed:blog"].leads) == (2, 1)
    assert (groups["embed:partner"].started, groups["embed:partner"].leads) == (1, 0)
    page = admin_client.get(reverse("admin:leads_lead_dashboard")).content.decode()
    assert '<th scope="row">embed:blog</th><td class="number">2</td>' in page

    response = admin_client.post(
        reverse("admin:embed_embedsite_changelist"),
        {"action": "download_figures", "_selected_action": [blog.pk, partner.pk]},
    )
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[1:] == [
        f"blog,{HOST},embed:blog,2,0,1,0",
        "partner,https://p.example.com,embed:partner,1,0,0,0",
    ]


def test_embed_js_is_small_stable_and_cacheable(client):
    response = client.get("/embed.js", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Content-Encoding"] == "gzip"
    assert len(response.content) < 3 * 1024
    assert b"data-certguide" in gzip.decompress(response.content)
    assert "max-age=86400" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]
    assert not response.cookies
    again = client.get("/embed.js", headers={"if-none-match": response["ETag"]})
    assert again.status_code == 304
    plain = client.get("/embed.js")
    assert "Content-Encoding" not in plain
    assert gzip.decompress(response.content) == plain.content


def test_a_marketer_adds_and_switches_off_a_site_but_cannot_delete_one(client):
    marketer = User.objects.create_user("marketer", password="pw", is_staff=True)
    marketer.groups.add(Group.objects.get(name="Marketing"))
    client.force_login(marketer)

    added = client.post(
        reverse("admin:embed_embedsite_add"),
        {"origin": "https://blog.example.com", "name": "blog", "is_active": "on"},
    )
    assert added.status_code == 302
    site = EmbedSite.objects.get()
    client.post(
        reverse("admin:embed_embedsite_change", args=[site.pk]),
        {"origin": site.origin, "name": site.name},
    )
    site.refresh_from_db()
    assert not site.is_active
    assert client.get(reverse("admin:embed_embedsite_delete", args=[site.pk])).status_code == 403
