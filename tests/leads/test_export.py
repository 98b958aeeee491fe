import csv
import datetime as dt
import io
import sys
import unicodedata
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from leads.export import (
    BOM,
    COLUMNS,
    FORMULA_TRIGGERS,
    SKIPPED_CATEGORIES,
    TEXT,
    LeadsCsv,
    export_filename,
    header_chunk,
    neutralise_cell,
    skipped_leading_characters,
    suspect_first_characters,
)
from leads.models import Lead, LeadExport
from leads.services import leads_export
from tests.conftest import make_attempt
from tests.leads.conftest import make_lead

pytestmark = pytest.mark.django_db

HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\tindent",
    "\rreturn",
    "=cmd|' /C calc'!A0",
    # Look-alikes: full-width signs (NFKC makes them the ASCII ones), and triggers behind
    # spaces or invisible characters that a spreadsheet or import tool may drop.
    "\uff1d1+1",
    "\uff0b44 20",
    "\uff0d5",
    "\uff20SUM(A1)",
    "\u200b=HYPERLINK(1)",
    "\u200b\u200b\uff1dcmd|' /C calc'!A0",
    "\ufeff@SUM(A1)",
    "\u3000\uff0b1",
    " =1",
    "\u00a0\u2028-2",
]
# Harmless text that only starts like a look-alike stays as it is.
LOOK_ALIKE_HARMLESS = ["\uff21da", "\u200bAda", " Ada", "\u3000李", "\uff58=1"]


def parse(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(BOM)
    return list(csv.DictReader(io.StringIO(data[len(BOM) :].decode(), newline="")))


def export_bytes(queryset) -> bytes:
    return b"".join(LeadsCsv(queryset))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\0=1+1", "'=1+1"),
        ("a\0b", "ab"),
        ("Ada", "Ada"),
        ("a=b", "a=b"),
        ("ada+news@example.com", "ada+news@example.com"),
        ("", ""),
        ("Zoë", "Zoë"),
        (" =1", "' =1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("\u200b@SUM(A1)", "'\u200b@SUM(A1)"),
        ("\u200bAda", "\u200bAda"),
        ("'quoted", "'quoted"),
    ],
)
def test_neutralise_cell(value, expected):
    assert neutralise_cell(value) == expected


def test_filename_carries_the_date():
    assert export_filename(dt.date(2026, 11, 29)) == "certguide-leads-2026-11-29.csv"


def test_first_chunk_is_bom_and_header_alone():
    chunks = iter(LeadsCsv(Lead.objects.all()))
    first = next(chunks)
    assert first == header_chunk()
    assert first == BOM + (
        b"email,first_name,status,outcome,csm_score,cspo_score,placement,utm_source,"
        b"utm_medium,utm_campaign,utm_term,utm_content,consent_at,consent_version,"
        b"created_at,confirmed_at,language\r\n"
    )


def test_columns_and_values():
    attempt = make_attempt(csm_score=72, cspo_score=40, outcome="CSM")
    make_lead(
        email="ada@example.com",
        first_name="Ada",
        status=Lead.Status.CONFIRMED,
        outcome="CSM",
        attempt=attempt,
        placement="result-page",
        utm_source="newsletter",
        utm_medium="email",
        utm_campaign="autumn",
        utm_term="scrum",
        utm_content="top",
        consent_at=dt.datetime(2026, 11, 2, 8, 30, 15, 123456, tzinfo=dt.UTC),
        consent_version="2026-11",
        confirmed_at=dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC),
    )
    Lead.objects.update(created_at=dt.datetime(2026, 11, 2, 8, 30, 15, tzinfo=dt.UTC))

    [row] = parse(export_bytes(Lead.objects.all()))

    assert row == {
        "email": "ada@example.com",
        "first_name": "Ada",
        "status": "confirmed",
        "outcome": "CSM",
        "csm_score": "72",
        "cspo_score": "40",
        "placement": "result-page",
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "autumn",
        "utm_term": "scrum",
        "utm_content": "top",
        "consent_at": "2026-11-02T08:30:15Z",
        "consent_version": "2026-11",
        "created_at": "2026-11-02T08:30:15Z",
        "confirmed_at": "2026-11-02T09:00:00Z",
        "language": "en",
    }


def test_lead_without_attempt_has_empty_scores_and_times():
    make_lead()

    [row] = parse(export_bytes(Lead.objects.all()))

    assert row["csm_score"] == row["cspo_score"] == row["confirmed_at"] == row["outcome"] == ""


BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
# (a moment as some code might hand it to the ORM, the export's cell for it)
MOMENTS = [
    (dt.datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=dt.UTC), "2026-03-29T01:59:59Z"),
    (dt.datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN), "2026-03-29T01:30:00Z"),  # summer time
    # The hour Berlin lives twice when its clocks go back: the first time, and the second.
    (dt.datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN), "2026-10-25T00:30:00Z"),
    (dt.datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN), "2026-10-25T01:30:00Z"),
    (dt.datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK), "2026-11-01T06:30:00Z"),
    (dt.datetime(2026, 6, 1, 23, 59, 59, tzinfo=ZoneInfo("Asia/Kolkata")), "2026-06-01T18:29:59Z"),
    (
        dt.datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=ZoneInfo("Pacific/Chatham")),
        "2025-12-31T10:15:00Z",
    ),
    (dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=dt.UTC), "2024-02-29T23:59:59Z"),
    (dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC), "1969-12-31T23:59:59Z"),
]


@pytest.mark.parametrize(("moment", "cell"), MOMENTS)
def test_times_are_utc_to_the_second_whatever_zone_they_came_in(moment, cell):
    make_lead(consent_at=moment, confirmed_at=moment, created_at=moment)

    [row] = parse(export_bytes(Lead.objects.all()))

    assert row["consent_at"] == row["confirmed_at"] == row["created_at"] == cell


@pytest.mark.parametrize("name", ["Zoë Ångström", "李小龍", "Сергей", "Ñandú 🎓"])
def test_accents_and_cjk_survive_the_round_trip(name):
    make_lead(first_name=name)

    data = export_bytes(Lead.objects.all())

    assert data.startswith(b"\xef\xbb\xbf")
    assert parse(data)[0]["first_name"] == name


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("field", ["first_name", "utm_campaign", "placement"])
def test_dangerous_first_characters_are_neutralised(field, value):
    make_lead(**{field: value})

    [row] = parse(export_bytes(Lead.objects.all()))

    assert row[field] == "'" + value


@pytest.mark.parametrize("value", LOOK_ALIKE_HARMLESS)
def test_look_alike_harmless_values_are_untouched(value):
    make_lead(first_name=value)

    [row] = parse(export_bytes(Lead.objects.all()))

    assert row["first_name"] == value


def test_harmless_values_are_untouched_and_quoting_follows_rfc_4180():
    make_lead(
        first_name='Ada "the first", Countess',
        utm_campaign="line one\nline two",
        utm_term="a=b",
        utm_content="50% off",
    )

    data = export_bytes(Lead.objects.all())
    [row] = parse(data)

    assert row["first_name"] == 'Ada "the first", Countess'
    assert row["utm_campaign"] == "line one\nline two"
    assert row["utm_term"] == "a=b"
    assert row["utm_content"] == "50% off"
    assert b'"Ada ""the first"", Countess"' in data
    assert data.count(b"\r\n") == 2


def test_rows_are_oldest_first_and_empty_export_is_the_header():
    assert export_bytes(Lead.objects.none()) == header_chunk()
    assert export_bytes(Lead.objects.all()) == header_chunk()
    for n, day in enumerate([3, 1, 2]):
        make_lead(email=f"lead{n}@example.com")
        Lead.objects.filter(email=f"lead{n}@example.com").update(
            created_at=dt.datetime(2026, 11, day, tzinfo=dt.UTC)
        )

    rows = parse(export_bytes(Lead.objects.all()))

    assert [r["email"] for r in rows] == [
        "lead1@example.com",
        "lead2@example.com",
        "lead0@example.com",
    ]


def test_leads_export_records_rows_actually_sent_when_the_client_goes_away():
    # Enough rows for several chunks, so the stream can stop between two of them.
    for n in range(1500):
        make_lead(email=f"lead{n}@example.com", utm_campaign="c" * 90)
    stream = leads_export(leads=Lead.objects.all(), user=None, filters={"q": "x"}, source="admin")

    next(stream)
    next(stream)
    stream.close()

    export = LeadExport.objects.get()
    assert 0 < export.row_count < 1500
    assert export.filters == {"q": "x"}
    # The connection is still usable after the stream was cut.
    assert Lead.objects.count() == 1500


def test_leads_export_records_the_full_count():
    make_lead(email="a@example.com")
    make_lead(email="b@example.com")

    data = b"".join(leads_export(leads=Lead.objects.all(), user=None, filters={}, source="admin"))

    assert len(parse(data)) == 2
    assert LeadExport.objects.get().row_count == 2


def test_command_writes_the_file_and_records_the_export(tmp_path):
    make_lead(email="a@example.com", first_name="=evil()", status=Lead.Status.CONFIRMED)
    make_lead(email="b@example.com", status=Lead.Status.PENDING)
    target = tmp_path / "leads.csv"

    call_command("export_leads", "--output", str(target), "--status", "confirmed")

    rows = parse(target.read_bytes())
    assert [(r["email"], r["first_name"]) for r in rows] == [("a@example.com", "'=evil()")]
    export = LeadExport.objects.get()
    assert export.source == LeadExport.Source.COMMAND
    assert export.user is None
    assert export.row_count == 1
    assert export.filters == {"status": "confirmed"}


@pytest.mark.parametrize(
    ("option", "field", "value"),
    [
        ("--outcome", "outcome", "CSPO"),
        ("--placement", "placement", "compare"),
        ("--utm-source", "utm_source", "newsletter"),
        ("--utm-campaign", "utm_campaign", "autumn"),
    ],
)
def test_command_filters_on_each_lead_field(tmp_path, option, field, value):
    make_lead(email="match@example.com", **{field: value})
    make_lead(email="other@example.com")
    target = tmp_path / "leads.csv"

    call_command("export_leads", f"--output={target}", f"{option}={value}")

    assert [r["email"] for r in parse(target.read_bytes())] == ["match@example.com"]
    assert LeadExport.objects.get().filters == {field: value}


def test_command_writes_to_stdout(capfdbinary):
    make_lead(email="a@example.com")

    call_command("export_leads")

    assert [r["email"] for r in parse(capfdbinary.readouterr().out)] == ["a@example.com"]
    assert LeadExport.objects.get().row_count == 1


def test_command_date_range_covers_whole_utc_days(tmp_path):
    for n, when in enumerate(
        [
            dt.datetime(2026, 11, 1, 23, 59, 59, tzinfo=dt.UTC),
            dt.datetime(2026, 11, 2, 0, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 11, 3, 23, 59, 59, tzinfo=dt.UTC),
            dt.datetime(2026, 11, 4, 0, 0, tzinfo=dt.UTC),
        ]
    ):
        make_lead(email=f"lead{n}@example.com")
        Lead.objects.filter(email=f"lead{n}@example.com").update(created_at=when)
    target = tmp_path / "leads.csv"

    call_command(
        "export_leads",
        f"--output={target}",
        "--created-from=2026-11-02",
        "--created-to=2026-11-03",
    )

    assert [r["email"] for r in parse(target.read_bytes())] == [
        "lead1@example.com",
        "lead2@example.com",
    ]


@pytest.mark.parametrize(
    "args",
    [["--created-from=yesterday"], ["--status=gone"], ["--output=/nonexistent/dir/x.csv"]],
)
def test_command_rejects_bad_input_and_records_nothing(args):
    with pytest.raises((CommandError, SystemExit)):
        call_command("export_leads", *args)

    assert not LeadExport.objects.exists()


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")


def orm_bytes(queryset) -> bytes:
    leads_csv = LeadsCsv(queryset)
    return header_chunk() + b"".join(leads_csv._orm_chunks())


@pytest.mark.postgres
@postgres_only
def test_copy_and_orm_paths_write_identical_files():
    attempt = make_attempt(csm_score=0, cspo_score=100, outcome="CSPO")
    values = [
        *HOSTILE,
        *LOOK_ALIKE_HARMLESS,
        "",
        "Zoë",
        "李",
        'q"q',
        "a,b",
        "x\ny",
        "\\.",
        "\\N",
        " lead",
        "50%",
    ]
    for n, value in enumerate(values):
        make_lead(
            email=f"lead{n}@example.com",
            first_name=value,
            utm_source=value[::-1],
            utm_term=value,
            attempt=attempt if n % 2 else None,
            confirmed_at=dt.datetime(2026, 1, 1, 12, 0, 0, 999999, tzinfo=dt.UTC)
            if n % 3
            else None,
        )
    leads = Lead.objects.all()

    copy_output = export_bytes(leads)

    assert copy_output == orm_bytes(leads)
    assert len(parse(copy_output)) == len(values)


# Values that are awkward for CSV, for the formula check, or for COPY's own conventions.
AWKWARD = [
    '=HYPERLINK("http://evil.example","click")',
    "+44 20",
    "-5",
    "@SUM(A1)",
    "\tx",
    "\rx",
    "\uff1d1",
    "\u200b=1",
    "\u00a8=1",  # NFKC makes it a space and an accent: not a formula
    'q"q',
    '"',
    "a,b",
    "x\ny",
    "x\r\ny",
    "\n",
    "\r",
    "",
    " ",
    "\u200b",
    "Zoë",
    "李小龍",
    "🎓",
    "e\u0301",
    "\u202eevil",
    "\\N",
    "\\.",
    "'",
    "NULL",
]
LEAD_TEXT_FIELDS = [
    Lead._meta.get_field(path) for _, path, kind in COLUMNS if kind == TEXT and path != "email"
]


@pytest.mark.postgres
@postgres_only
@pytest.mark.parametrize("block_rows", [1, None], ids=["a block per row", "one block"])
def test_copy_and_orm_paths_agree_on_awkward_values_in_every_column(monkeypatch, block_rows):
    if block_rows:
        monkeypatch.setattr("leads.export.COPY_BLOCK_ROWS", block_rows)
    attempt = make_attempt(csm_score=0, cspo_score=100, outcome="BOTH")
    for n, value in enumerate(AWKWARD):
        moment, _ = MOMENTS[n % len(MOMENTS)]
        make_lead(
            email=f"{value}.{n}@example.com",
            **{field.name: value[: field.max_length] for field in LEAD_TEXT_FIELDS},
            attempt=attempt if n % 2 else None,
            consent_at=moment,
            created_at=moment,
            confirmed_at=moment if n % 3 else None,
        )
    leads = Lead.objects.all()

    copy_output = export_bytes(leads)

    assert copy_output == orm_bytes(leads)
    assert len(parse(copy_output)) == len(AWKWARD)


@pytest.mark.postgres
@postgres_only
@pytest.mark.parametrize(
    "hostile", ["'; DROP TABLE leads_lead; --", "a%sb", "%(x)s", "back\\slash", "$$", "x'||'y"]
)
def test_copy_inlines_filter_values_safely(hostile):
    make_lead(email="match@example.com", utm_campaign=hostile)
    make_lead(email="other@example.com", utm_campaign="other")
    leads = Lead.objects.filter(utm_campaign=hostile)

    statement = LeadsCsv(leads).copy_statement()
    rows = parse(export_bytes(leads))

    assert statement.startswith("COPY (SELECT")
    assert [r["email"] for r in rows] == ["match@example.com"]
    assert rows[0]["utm_campaign"] == hostile
    assert Lead.objects.count() == 2


@pytest.mark.postgres
@postgres_only
def test_copy_path_applies_search_filters_like_the_orm():
    make_lead(email="ana@example.com", first_name="Ana")
    make_lead(email="bob@example.com", first_name="Bob")
    leads = Lead.objects.filter(first_name__icontains="an")

    assert export_bytes(leads) == orm_bytes(leads)
    assert [r["email"] for r in parse(export_bytes(leads))] == ["ana@example.com"]


@pytest.mark.django_db(databases=[])
def test_the_shortcut_character_sets_match_a_scan_of_all_of_unicode():
    # The export scans only the planes that hold assigned characters, and runs NFKC only
    # on characters that decompose; a full scan must find exactly the same sets.
    every = [chr(code) for code in range(1, sys.maxunicode + 1)]
    skipped = {c for c in every if unicodedata.category(c) in SKIPPED_CATEGORIES}
    suspects = {
        c
        for c in every
        if c in skipped
        or unicodedata.normalize("NFKC", c).startswith(FORMULA_TRIGGERS)
        or unicodedata.normalize("NFKC", c)[:1] in skipped
    }

    assert set(skipped_leading_characters()) == skipped
    assert set(suspect_first_characters()) == suspects
