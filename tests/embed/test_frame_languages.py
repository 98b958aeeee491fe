"""The embedded quiz's sign-up stores the frame's language, like the site's form."""

import pytest
from django.urls import reverse
from django.utils import translation

from leads.models import Lead
from wizard.models import Attempt

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("prefix", "language", "version"), [("/de", "de", "2026-11-de"), ("", "en", "2026-11")]
)
def test_a_sign_up_in_the_frame_keeps_the_frames_language(
    blog, frame, committed, mailoutbox, prefix, language, version
):
    frame.get(f"{prefix}/embed/quiz/", site="blog")
    started = frame.post(f"{prefix}/embed/quiz/", {"site": "blog"})
    assert started["Location"].startswith(f"{prefix}/embed/")
    frame.answer_all(started["Location"])
    with translation.override(language):
        signup = reverse("embed:signup", args=[Attempt.objects.get().pk])
    assert signup.startswith(f"{prefix}/embed/")

    frame.get(signup)
    with committed(execute=True):
        sent = frame.post(signup, {"email": "ada@example.com", "consent": "on"})

    assert sent.status_code == 302
    lead = Lead.objects.get()
    assert (lead.language, lead.consent_version) == (language, version)
    [mail] = mailoutbox
    assert mail.subject.startswith("Bestätigen Sie" if language == "de" else "Confirm your")
