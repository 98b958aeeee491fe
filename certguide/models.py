"""Site content: the two certifications and the page copy marketers edit in the admin."""

from collections.abc import Sequence

from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse


class CertificationQuerySet(models.QuerySet):
    def for_pages(self) -> "CertificationQuerySet":
        """Every certification in page order, with its listed points in one extra query."""
        return self.order_by("order", "code").prefetch_related(
            Prefetch("points", queryset=CertificationPoint.objects.order_by("order", "id"))
        )


class Certification(models.Model):
    # The rows of the key-differences table, in the order the table shows them.
    COMPARISON_ROWS: list[tuple[str, str]] = [
        ("focus", "Focus"),
        ("primary_role", "Primary role"),
        ("key_skills", "Key skills"),
        ("main_goal", "Main goal"),
        ("target_audience", "Target audience"),
    ]

    slug = models.SlugField(
        max_length=20, unique=True, help_text="Part of the page address: /certifications/<slug>/."
    )
    code = models.CharField(max_length=10, unique=True, help_text="Short name, e.g. CSM.")
    name = models.CharField(max_length=100, help_text="Full name, e.g. Certified ScrumMaster.")
    role = models.CharField(max_length=100, help_text="The role it certifies, e.g. Scrum Master.")
    summary = models.TextField(
        help_text="What the certification is, in a few sentences. A blank line starts a new "
        "paragraph. The first paragraph is also the page's description for search engines."
    )
    focus = models.TextField()
    primary_role = models.TextField("primary role")
    key_skills = models.TextField("key skills")
    main_goal = models.TextField("main goal")
    target_audience = models.TextField("target audience")
    order = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers come first.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = CertificationQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(slug__regex=r"^[a-z0-9-]+$"), name="certguide_certification_slug_lower"
            ),
            models.CheckConstraint(
                condition=~Q(name="") & ~Q(code="") & ~Q(role=""),
                name="certguide_certification_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def get_absolute_url(self) -> str:
        return reverse("certification", kwargs={"slug": self.slug})

    def summary_paragraphs(self) -> list[str]:
        """The summary's paragraphs, whatever line endings the admin form sent (CRLF)."""
        paragraphs = self.summary.replace("\r\n", "\n").split("\n\n")
        return [" ".join(part.split()) for part in paragraphs if part.strip()]

    @classmethod
    def comparison_table(
        cls, certifications: Sequence["Certification"]
    ) -> list[tuple[str, list[tuple["Certification", str]]]]:
        """The key-differences table, one row per COMPARISON_ROWS field: its label and
        each certification's value (for /compare/ and the PDF guide)."""
        return [
            (label, [(c, getattr(c, field)) for c in certifications])
            for field, label in cls.COMPARISON_ROWS
        ]

    def _points(self, kind: str) -> list["CertificationPoint"]:
        # Filtered in Python so for_pages()'s single prefetch serves all three lists.
        return [point for point in self.points.all() if point.kind == kind]

    @property
    def responsibilities(self) -> list["CertificationPoint"]:
        return self._points(CertificationPoint.Kind.RESPONSIBILITY)

    @property
    def benefits(self) -> list["CertificationPoint"]:
        return self._points(CertificationPoint.Kind.BENEFIT)

    @property
    def audiences(self) -> list["CertificationPoint"]:
        return self._points(CertificationPoint.Kind.AUDIENCE)


class CertificationPoint(models.Model):
    """One entry of a certification's ordered lists (responsibilities, benefits, audiences)."""

    class Kind(models.TextChoices):
        RESPONSIBILITY = "responsibility", "Key responsibility of the role"
        BENEFIT = "benefit", "Benefit of the certification"
        AUDIENCE = "audience", "Who should consider it"

    certification = models.ForeignKey(
        Certification, on_delete=models.CASCADE, related_name="points"
    )
    kind = models.CharField(max_length=20, choices=Kind)
    title = models.CharField(max_length=120, blank=True, help_text="Optional short heading.")
    text = models.TextField()
    order = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers come first.")

    class Meta:
        ordering = ["certification", "kind", "order", "id"]
        indexes = [models.Index(fields=["certification", "kind", "order"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["responsibility", "benefit", "audience"]),
                name="certguide_point_kind_known",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="certguide_point_has_text"),
        ]

    def __str__(self) -> str:
        return self.title or self.text[:60]


# Which PageSection slugs each content page (by URL name) shows; the admin lists them as
# "shown on".
PAGE_SECTIONS: dict[str, list[str]] = {
    "home": ["home-intro", "conclusion"],
    "compare": ["compare-intro"],
    "choose": ["choose-intro", "choose-csm", "choose-cspo", "choose-both", "continuous-learning"],
}


class PageSectionQuerySet(models.QuerySet):
    def by_slug(self, *slugs: str) -> dict[str, "PageSection"]:
        """The named sections in one query; a missing slug is simply absent."""
        return {section.slug: section for section in self.filter(slug__in=slugs)}


class PageSection(models.Model):
    """A piece of page copy, written in Markdown, that a page looks up by its slug."""

    slug = models.SlugField(
        max_length=50,
        unique=True,
        help_text="Which place on which page shows this text. Pages look it up by this name.",
    )
    title = models.CharField(
        max_length=200, blank=True, help_text="Heading shown above the text, if the page has one."
    )
    body = models.TextField(
        help_text="Markdown: a blank line between paragraphs, **bold**, *italic*, lines starting "
        "with '- ' for a list, [text](https://…) for a link, ### for a sub-heading. HTML typed "
        "here is shown as plain text, never run."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = PageSectionQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="certguide_pagesection_has_body"),
        ]

    def __str__(self) -> str:
        return self.title or self.slug
