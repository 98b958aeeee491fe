"""The consent text shown beside the sign-up checkbox, and its version in each language.

The text is translated like every other string; each language's wording has a version
of its own. Change a language's version whenever its wording changes (the English text
here, or its translation in locale/): each lead stores the version of the text it read,
in its language, so we can always show what a person consented to.
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# English keeps the version it had before the site spoke other languages, so the leads
# who agreed to it are not asked to agree again.
CONSENT_VERSIONS = {"en": "2026-11", "de": "2026-11-de"}

CONSENT_TEXT = _(
    "Yes, email me the free CSM and CSPO training materials and occasional news about "
    "Scrum training. I can unsubscribe at any time with the link in every email."
)


def consent_version(language: str) -> str:
    """The version of the consent text as shown in `language` (one of settings.LANGUAGES)."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"{language!r} is not one of the site's languages.")
    return CONSENT_VERSIONS[language]
