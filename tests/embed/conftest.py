import re

import pytest
from django.test import Client

from embed.models import EmbedSite
from embed.services import embed_site_add

HOST = "http://127.0.0.2:8650"
TOKEN = re.compile(r'name="embed_token" value="([^"]+)"')


@pytest.fixture
def blog(db) -> EmbedSite:
    return embed_site_add(origin=HOST, name="blog")


def embed_token(response) -> str:
    return TOKEN.search(response.content.decode()).group(1)


class Frame:
    """A browser inside a third-party frame: CSRF enforced and every response checked
    for a cookie, since a frame on another site can neither keep nor send one."""

    def __init__(self) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.page = None

    def _seen(self, response):
        assert not response.cookies, f"{response.wsgi_request.path} set {response.cookies}"
        return response

    def get(self, url: str, **data):
        self.page = self._seen(self.client.get(url, data))
        return self.page

    def post(self, url: str, data: dict, *, token: str | None = None):
        token = embed_token(self.page) if token is None else token
        return self._seen(self.client.post(url, {"embed_token": token, **data}))

    def start(self, site: str = "blog", **utm) -> str:
        """Open the intro and press Start; the first step's URL."""
        self.get("/embed/quiz/", site=site, **utm)
        response = self.post("/embed/quiz/", {"site": site, **utm})
        assert response.status_code == 302, response.content
        return response["Location"]

    def answer_all(self, step: str) -> str:
        """Answer each question with its first choice; the result's URL."""
        url = step
        for _ in range(30):
            html = self.get(url).content.decode()
            question = re.search(r'name="question" value="(\d+)"', html).group(1)
            choice = re.search(r'name="choices" value="(\d+)"', html).group(1)
            response = self.post(
                url.split("?")[0], {"question": question, "choices": choice, "action": "next"}
            )
            assert response.status_code == 302
            url = response["Location"]
            if "/result/" in url:
                return url
        raise AssertionError("the quiz never ended")


@pytest.fixture
def frame() -> Frame:
    return Frame()
