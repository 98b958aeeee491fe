"""Each process's memory of what it read lately from the shared cache (pages, the
questionnaire, rendered answers): a hit without a round trip, never another visitor's
secret, an edit through this process seen at once and one through another process within
the recheck interval."""

import pytest

from certguide import generations
from certguide.models import PageSection
from wizard.models import Question

pytestmark = pytest.mark.django_db


@pytest.fixture
def memo(settings, monkeypatch):
    """The memory on (one second), with a clock the test moves."""
    settings.CACHE_RECHECK_SECONDS = 1.0
    generations.forget_recent()
    clock = {"now": 1000.0}
    monkeypatch.setattr(generations.time, "monotonic", lambda: clock["now"])
    yield clock
    generations.forget_recent()


@pytest.fixture
def cache_reads(monkeypatch):
    """How many times the shared cache was asked for values."""
    calls = []
    original = generations.cache.get_many

    def counting(keys, *args, **kwargs):
        calls.append(keys)
        return original(keys, *args, **kwargs)

    monkeypatch.setattr(generations.cache, "get_many", counting)
    return calls


def test_a_second_visitor_gets_the_page_from_memory_without_asking_the_cache(
    memo, visitors, cache_reads, django_assert_num_queries
):
    first, second = visitors(2)
    first.get("/compare/")  # rendered and stored
    first.get("/compare/")  # read from the shared cache once, then remembered
    reads = len(cache_reads)

    with django_assert_num_queries(0):
        page = second.get("/compare/")

    assert page.status_code == 200
    assert len(cache_reads) == reads
    assert page.content == first.page.content
    assert not page.cookies
    assert page.headers["ETag"] == first.page.headers["ETag"]


def test_remembered_pages_carry_each_visitors_own_campaign(memo, visitors):
    first, second = visitors(2)
    first.get("/")
    first.get("/")

    tagged = second.get("/?utm_source=spring-news")
    plain = first.get("/")

    assert "utm_source=spring-news" in tagged.content.decode()
    assert "spring-news" not in plain.content.decode()
    assert "utm_source" not in plain.content.decode()


def test_an_edit_through_this_process_is_seen_by_the_next_visitor_at_once(
    memo, visitors, committed
):
    reader, other = visitors(2)
    reader.get("/choose/")
    reader.get("/choose/")
    section = PageSection.objects.get(slug="choose-intro")
    section.body = "Fresh guidance for everyone."

    with committed(execute=True):
        section.save()

    assert "Fresh guidance for everyone." in other.get("/choose/").content.decode()


def test_an_edit_through_another_process_arrives_within_the_recheck_interval(memo, visitors):
    reader, other = visitors(2)
    reader.get("/choose/")
    reader.get("/choose/")
    old = reader.page.content
    # Another instance saved the section and replaced the generation in the shared cache;
    # nothing happened in this process.
    PageSection.objects.filter(slug="choose-intro").update(body="Edited on another instance.")
    generations.cache.set(
        generations._generation_key(generations.Family.CONTENT), "from-another-instance", None
    )

    memo["now"] += 0.5
    assert other.get("/choose/").content == old

    memo["now"] += 0.6
    assert "Edited on another instance." in other.get("/choose/").content.decode()


def test_the_memory_holds_a_bounded_number_of_values(memo):
    recent = generations._Recent()
    recent.confirm("g1")

    for number in range(recent.SIZE + 50):
        recent.put(f"page:{number}", "g1", number)

    assert len(recent.values) == recent.SIZE
    assert recent.get("page:0") == ("g1", generations.MISSING)
    assert recent.get(f"page:{recent.SIZE + 49}") == ("g1", recent.SIZE + 49)
    recent.put("late", "g0", "read under an older generation")
    assert recent.get("late") == ("g1", generations.MISSING)


def test_quiz_steps_read_the_questionnaire_from_memory_and_see_an_edit_at_once(
    memo, visitors, cache_reads, committed, django_assert_num_queries
):
    first, second = visitors(2)
    first.get("/wizard/")
    started = first.submit("/wizard/", {})
    second.get("/wizard/")
    second_started = second.submit("/wizard/", {})
    first.get(started.url)
    reads = len(cache_reads)

    with django_assert_num_queries(1):  # the attempt; questionnaire and answers remembered
        page = second.get(second_started.url)
    assert page.status_code == 200
    assert len(cache_reads) == reads
    assert page.content.count(b"csrfmiddlewaretoken") == 1
    assert first.page.content.count(b"csrfmiddlewaretoken") == 1

    question = Question.objects.filter(questionnaire__is_active=True).order_by("order").first()
    question.text = "A question reworded a moment ago?"
    with committed(execute=True):
        question.save()

    assert "A question reworded a moment ago?" in first.get(started.url).content.decode()
