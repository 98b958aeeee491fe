"""The personalised PDF guide: the visitor's result, both roles, the key differences and
next steps, drawn with fpdf2's core fonts (pure Python, nothing to install on the server).
"""

import unicodedata

from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from certguide.models import Certification
from leads.models import Lead
from wizard.models import Recommendation

# Core PDF fonts only know Latin-1; these common characters have a close Latin-1 twin.
_LATIN1_TWINS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',  # German opening quote
        "\u201a": "'",  # German single opening quote
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u2022": "-",
        "\u00a0": " ",
        "\u2011": "-",
        # Letters that Unicode does not decompose into a base letter and an accent.
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "\u0131": "i",  # dotless i
        "Œ": "OE",
        "œ": "oe",
    }
)

BRAND = (31, 78, 121)
TEXT = (33, 37, 41)
MUTED_FILL = (243, 246, 249)

NEXT_STEPS = {
    Recommendation.CSM: [
        _("Read the Scrum Guide end to end; the CSM course assumes you know its events and roles."),
        _("Offer to facilitate your team's next retrospective, then ask for feedback."),
        _("Keep a list of the obstacles your team meets and note who could remove each one."),
        _("Pick a Certified ScrumMaster course from a Scrum Alliance trainer that suits you."),
    ],
    Recommendation.CSPO: [
        _("Read the Scrum Guide's sections on the Product Owner and the Product Backlog."),
        _("Write a short product vision for something you work on; test it on a colleague."),
        _("Practise ordering a backlog by value: take ten requests and rank them, explaining why."),
        _(
            "Pick a Certified Scrum Product Owner course "
            "from a Scrum Alliance trainer that suits you."
        ),
    ],
    Recommendation.BOTH: [
        _(
            "Start with the role closest to your current "
            "work; the second course builds on the first."
        ),
        _(
            "Read the Scrum Guide, paying equal attention "
            "to the Scrum Master and the Product Owner."
        ),
        _("Between the two courses, practise the first role on a real team for a few sprints."),
        _("Look for leadership work in an Agile change, where knowing both roles pays off most."),
    ],
    "": [
        _("Take the certguide quiz: six questions that point you to CSM, CSPO or both."),
        _("Read the Scrum Guide; both certifications build on it."),
        _("Talk to a Scrum Master and a Product Owner about their typical week."),
        _("Choose the course that matches the work you want to be doing in two years."),
    ],
}

KEEP_LEARNING = _(
    "A certificate is a start, not a finish line. Keep learning after the course: go to "
    "meet-ups and conferences, read about Agile and Scrum, and take part in the community, "
    "because the practice keeps changing."
)


def latin1(text: str) -> str:
    """Text the core fonts can draw: close twins first, then accents stripped, else '?'."""
    out = []
    for ch in text.translate(_LATIN1_TWINS):
        if ord(ch) < 256:
            out.append(ch if ch.isprintable() or ch == "\n" else " ")
            continue
        base = "".join(
            part
            for part in unicodedata.normalize("NFKD", ch)
            if ord(part) < 256 and not unicodedata.combining(part)
        )
        out.append(base or "?")
    return "".join(out)


def _display_name(first_name: str) -> str:
    """The first name in Latin-1, leaving out what the core fonts cannot draw."""
    kept = [latin1(ch) for ch in first_name]
    return " ".join("".join(ch for ch in kept if ch != "?").split())


class _GuidePDF(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.set_text_color(90, 90, 90)
        footer = gettext("certguide - CSM or CSPO guide - page %(page)s") % {"page": self.page_no()}
        self.cell(0, 10, latin1(footer), align="C")


class _Writer:
    def __init__(self) -> None:
        self.pdf = _GuidePDF(format="A4")
        self.pdf.set_margins(20, 20, 20)
        self.pdf.set_auto_page_break(auto=True, margin=20)
        self.pdf.set_title(gettext("CSM or CSPO: your certification guide"))
        self.pdf.set_author("certguide")
        self.pdf.set_lang(translation.get_language())
        self.pdf.add_page()

    def heading(self, text: str, size: int = 15) -> None:
        pdf = self.pdf
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", size)
        pdf.set_text_color(*BRAND)
        pdf.multi_cell(0, size * 0.5, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)

    def paragraph(self, text: str, *, bold: bool = False) -> None:
        pdf = self.pdf
        pdf.set_font("Helvetica", "B" if bold else "", 11)
        pdf.set_text_color(*TEXT)
        pdf.multi_cell(0, 5.5, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)

    def bullets(self, items: list[tuple[str, str]]) -> None:
        """(title, text) pairs; the title is bold when given."""
        pdf = self.pdf
        pdf.set_text_color(*TEXT)
        indent = 6
        for title, text in items:
            pdf.set_font("Helvetica", size=11)
            pdf.cell(indent, 5.5, "-")
            if title:
                pdf.set_font("Helvetica", "B", 11)
                pdf.multi_cell(
                    pdf.epw - indent, 5.5, latin1(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT
                )
                pdf.set_x(pdf.l_margin + indent)
                pdf.set_font("Helvetica", size=11)
            pdf.multi_cell(pdf.epw - indent, 5.5, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
        pdf.ln(1)

    def comparison(self, certifications: list[Certification]) -> None:
        pdf = self.pdf
        pdf.set_font("Helvetica", size=10)
        pdf.set_text_color(*TEXT)
        with pdf.table(
            col_widths=(1, *[2] * len(certifications)),
            text_align="LEFT",
            line_height=5,
            headings_style=FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=BRAND),
            cell_fill_color=MUTED_FILL,
            cell_fill_mode="ROWS",
        ) as table:
            header = table.row()
            header.cell("")
            for cert in certifications:
                header.cell(latin1(f"{cert.name} ({cert.code})"))
            for label, cells in Certification.comparison_table(certifications):
                row = table.row()
                row.cell(latin1(label))
                for _, value in cells:
                    row.cell(latin1(value))
        pdf.ln(4)


def _result_section(writer: _Writer, lead: Lead) -> str:
    """Write the visitor's result; return the outcome the rest of the guide is for."""
    attempt = lead.attempt if lead.attempt and lead.attempt.is_completed else None
    outcome = (attempt.outcome if attempt else "") or lead.outcome
    if outcome not in Recommendation.values:
        outcome = ""  # Never fail a download over a value edited by hand.
    if not outcome:
        writer.heading(gettext("The general CSM and CSPO guide"))
        writer.paragraph(
            gettext(
                "You did not take our quiz, so this guide covers both certifications equally. "
                "Read the two role descriptions and the table of differences, then see which "
                "description sounds like the work you want to do."
            )
        )
        return ""
    writer.heading(gettext("Your result: %(outcome)s") % {"outcome": Recommendation(outcome).label})
    if attempt is not None and attempt.csm_score is not None and attempt.cspo_score is not None:
        writer.paragraph(
            gettext(
                "Your fit with the Scrum Master role (CSM): %(csm)s%%. "
                "Your fit with the Product Owner role (CSPO): %(cspo)s%%."
            )
            % {"csm": attempt.csm_score, "cspo": attempt.cspo_score},
            bold=True,
        )
        reasons = [r for r in attempt.result_texts()["reasons"] if isinstance(r, str)]
        if reasons:
            writer.paragraph(gettext("What shaped this recommendation:"))
            writer.bullets([("", reason) for reason in reasons])
    explanation = {
        Recommendation.CSM: gettext(
            "Your answers lean toward the how of the work: helping a team "
            "run Scrum well. The Scrum Master section below is your main path."
        ),
        Recommendation.CSPO: gettext(
            "Your answers lean toward the what and why: deciding what the "
            "product should be. The Product Owner section below is your main path."
        ),
        Recommendation.BOTH: gettext(
            "Your answers balance both roles, or you aim to lead an Agile "
            "change, where knowing both pays off. Read both sections below."
        ),
    }[Recommendation(outcome)]
    writer.paragraph(explanation)
    return outcome


def render_guide(*, lead: Lead) -> bytes:
    """The PDF guide for this lead, personalised with its quiz result when it has one, in
    the active language (the page's it was downloaded from); the date is written the
    language's way ("30. November 2026")."""
    writer = _Writer()
    pdf = writer.pdf
    pdf.set_font("Helvetica", "B", 22)
    pdf.set_text_color(*BRAND)
    pdf.multi_cell(0, 10, latin1(gettext("CSM or CSPO?")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 14)
    pdf.multi_cell(
        0,
        7,
        latin1(gettext("Your Scrum certification guide")),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    today = formats.date_format(timezone.localdate(), "DATE_FORMAT")
    if name := _display_name(lead.first_name):
        writer.paragraph(
            gettext("Prepared for %(name)s on %(date)s") % {"name": name, "date": today}
        )
    else:
        writer.paragraph(gettext("Prepared on %(date)s") % {"date": today})
    pdf.ln(2)

    outcome = _result_section(writer, lead)
    certifications = list(Certification.objects.for_pages())
    # The recommended role first; for both (or no result) the site's usual order.
    certifications.sort(key=lambda cert: cert.code != outcome)
    for cert in certifications:
        writer.heading(f"{cert.name} ({cert.code})")
        for part in cert.summary_paragraphs():
            writer.paragraph(part)
        writer.paragraph(
            gettext("Key responsibilities of the %(role)s") % {"role": cert.role}, bold=True
        )
        writer.bullets([(point.title, point.text) for point in cert.responsibilities])

    if certifications:
        writer.heading(gettext("Key differences at a glance"))
        writer.comparison(certifications)

    writer.heading(gettext("Your next steps"))
    writer.bullets([("", str(step)) for step in NEXT_STEPS[outcome]])
    writer.paragraph(str(KEEP_LEARNING))
    return bytes(pdf.output())
