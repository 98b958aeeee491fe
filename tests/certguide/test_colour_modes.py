"""Dark mode is a media query in site.css that applies Bootstrap's dark palette; these
tests keep it complete as Bootstrap moves on."""

import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders


def declarations(block: str) -> dict[str, str]:
    return dict(re.findall(r"(--[\w-]+|color-scheme)\s*:\s*([^;]+)", block))


def bootstrap_dark() -> dict[str, str]:
    css = Path(finders.find("bootstrap/css/bootstrap.min.css")).read_text(encoding="utf-8")
    block = re.search(r"(?:^|})\[data-bs-theme=dark\]\{([^}]*)\}", css).group(1)
    return declarations(block)


def site_dark() -> dict[str, str]:
    css = Path(finders.find("css/site.css")).read_text(encoding="utf-8")
    media = css.split("@media screen and (prefers-color-scheme: dark)", 1)[1]
    return declarations(re.search(r":root\s*\{([^}]*)\}", media).group(1))


def test_dark_mode_sets_every_variable_bootstraps_own_dark_mode_sets():
    bootstrap, ours = bootstrap_dark(), site_dark()

    assert len(bootstrap) > 40  # the palette was found, not an empty match
    assert set(bootstrap) - set(ours) == set()
    assert ours["color-scheme"] == "dark"


def test_dark_mode_keeps_bootstraps_body_and_link_colours():
    bootstrap, ours = bootstrap_dark(), site_dark()

    for name in ("--bs-body-bg", "--bs-body-color", "--bs-link-color", "--bs-border-color"):
        assert ours[name] == bootstrap[name]


def test_every_page_template_declares_both_colour_schemes():
    for template in ("templates/base.html", "templates/_partials/standalone_error.html"):
        html = (Path(settings.BASE_DIR) / template).read_text(encoding="utf-8")
        assert '<meta name="color-scheme" content="light dark">' in html
