"""The consent text shown beside the sign-up checkbox, and its version.

Change the version whenever the wording changes: each lead stores the version it agreed
to, so we can always show what a person consented to.
"""

CONSENT_VERSION = "2026-11"

CONSENT_TEXT = (
    "Yes, email me the free CSM and CSPO training materials and occasional news about "
    "Scrum training. I can unsubscribe at any time with the link in every email."
)
