"""Date parsing with the real strings from heute.at pages, feeds and structured data."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscrawl.extract import dates
from newscrawl.extract.dates import VIENNA, find_dates, parse_date, strip_label, to_iso

# Saturday 28 June 2025, 12:00 in Vienna (CEST).
NOW = datetime(2025, 6, 28, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("raw", "expected"), [
    # Dotted numeric dates: always day-month-year.
    ("18.11.2024", "2024-11-18T00:00:00+01:00"),
    ("05.11.2024", "2024-11-05T00:00:00+01:00"),
    ("27.06.2025, 20:04", "2025-06-27T20:04:00+02:00"),
    ("27.06.2025 20:04", "2025-06-27T20:04:00+02:00"),
    ("27.06.25, 20:04", "2025-06-27T20:04:00+02:00"),
    ("27.06.2025, 20.04 Uhr", "2025-06-27T20:04:00+02:00"),
    ("5.1.2025", "2025-01-05T00:00:00+01:00"),
    ("05.01.2025, 10:00", "2025-01-05T10:00:00+01:00"),
    ("31.12.99", "1999-12-31T00:00:00+01:00"),
    # Month names, German, Austrian, abbreviated, with weekday.
    ("3. März 2023, 14.30 Uhr", "2023-03-03T14:30:00+01:00"),
    ("3. März 2023 um 14:30 Uhr", "2023-03-03T14:30:00+01:00"),
    ("Sonntag, 05. Jänner 2025", "2025-01-05T00:00:00+01:00"),
    ("5. Feber 2024", "2024-02-05T00:00:00+01:00"),
    ("5. Jänner 2025", "2025-01-05T00:00:00+01:00"),
    ("3. Sept. 2024", "2024-09-03T00:00:00+02:00"),
    ("12. Okt. 2023, 9 Uhr", "2023-10-12T09:00:00+02:00"),
    ("1. Mai 2025", "2025-05-01T00:00:00+02:00"),
    ("24. Dezember 2024, 18:00", "2024-12-24T18:00:00+01:00"),
    # Labels in front.
    ("Publiziert: 27.06.2025, 20:04", "2025-06-27T20:04:00+02:00"),
    ("Akt: 05.09.2019, 17:05", "2019-09-05T17:05:00+02:00"),
    ("| Akt: 05.09.2019, 17:05", "2019-09-05T17:05:00+02:00"),
    ("Stand: 3. März 2023, 14.30 Uhr", "2023-03-03T14:30:00+01:00"),
    ("Aktualisiert am 28.06.2025 um 08:00 Uhr", "2025-06-28T08:00:00+02:00"),
    ("Zuletzt aktualisiert: 28.06.2025, 08:00", "2025-06-28T08:00:00+02:00"),
    ("Veröffentlicht am 27.06.2025", "2025-06-27T00:00:00+02:00"),
    # ISO 8601 from structured data.
    ("2025-06-27T18:04:00Z", "2025-06-27T18:04:00+00:00"),  # an explicit offset is kept
    ("2025-06-27T20:04:00+02:00", "2025-06-27T20:04:00+02:00"),
    ("2025-06-27T20:04:00.123+0200", "2025-06-27T20:04:00+02:00"),
    ("2025-06-27", "2025-06-27T00:00:00+02:00"),
    ("2025-06-27 20:04:00", "2025-06-27T20:04:00+02:00"),
    ("2025-01-05T10:00", "2025-01-05T10:00:00+01:00"),
    # Feeds (RFC 2822) and English.
    ("Fri, 27 Jun 2025 18:04:00 GMT", "2025-06-27T18:04:00+00:00"),
    ("Fri, 27 Jun 2025 18:04:00 -0400", "2025-06-27T18:04:00-04:00"),
    ("2024-01-09T09:14:00.000Z", "2024-01-09T09:14:00+00:00"),
    ("27.06.2025 20:04 MESZ", "2025-06-27T20:04:00+02:00"),
    ("Fri, 27 Jun 2025 20:04:00 +0200", "2025-06-27T20:04:00+02:00"),
    ("June 27, 2025", "2025-06-27T00:00:00+02:00"),
    ("June 27, 2025 8:00 pm", "2025-06-27T20:00:00+02:00"),
    # Other languages through dateparser without a language restriction.
    ("27 juin 2025", "2025-06-27T00:00:00+02:00"),
    ("27 de junio de 2025", "2025-06-27T00:00:00+02:00"),
    ("06/07/2025", "2025-07-06T00:00:00+02:00"),  # slash form still DMY
])
def test_absolute_forms(raw, expected):
    # A "now" well after all of them, so the future check does not interfere.
    assert to_iso(parse_date(raw, now=datetime(2025, 8, 1, tzinfo=UTC))) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    # 30 March 2025: 02:00-03:00 does not exist in Vienna; read as +01:00 and normalised.
    ("30.03.2025, 01:59", "2025-03-30T01:59:00+01:00"),
    ("30.03.2025, 02:30", "2025-03-30T03:30:00+02:00"),
    ("30.03.2025, 03:00", "2025-03-30T03:00:00+02:00"),
    # 26 October 2025: 02:00-03:00 happens twice; the first occurrence (summer time) is taken.
    ("26.10.2025, 02:30", "2025-10-26T02:30:00+02:00"),
    ("26.10.2025, 03:30", "2025-10-26T03:30:00+01:00"),
])
def test_wall_times_across_dst(raw, expected):
    assert to_iso(parse_date(raw, now=datetime(2026, 1, 1, tzinfo=UTC))) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("vor 2 Stunden", "2025-06-28T10:00:00+02:00"),
    ("vor 5 Minuten", "2025-06-28T11:55:00+02:00"),
    ("vor 5 Min.", "2025-06-28T11:55:00+02:00"),
    ("vor einer Stunde", "2025-06-28T11:00:00+02:00"),
    ("vor 30 Sekunden", "2025-06-28T11:59:30+02:00"),
    ("vor 3 Tagen", "2025-06-25T12:00:00+02:00"),
    ("vor einem Tag", "2025-06-27T12:00:00+02:00"),
    ("vor 2 Wochen", "2025-06-14T12:00:00+02:00"),
    ("Aktualisiert vor 2 Stunden", "2025-06-28T10:00:00+02:00"),
    ("gestern, 18:45", "2025-06-27T18:45:00+02:00"),
    ("Gestern um 18:45 Uhr", "2025-06-27T18:45:00+02:00"),
    ("gestern", "2025-06-27T00:00:00+02:00"),
    ("heute, 07:15", "2025-06-28T07:15:00+02:00"),
    ("heute um 07:15", "2025-06-28T07:15:00+02:00"),
    ("vorgestern", "2025-06-26T00:00:00+02:00"),
    ("2 hours ago", "2025-06-28T10:00:00+02:00"),
    ("yesterday, 18:45", "2025-06-27T18:45:00+02:00"),
    ("il y a 3 heures", "2025-06-28T09:00:00+02:00"),  # dateparser, any language
])
def test_relative_forms(raw, expected):
    assert to_iso(parse_date(raw, now=NOW)) == expected


def test_relative_hours_count_real_time_across_dst():
    # 30 March 2025, 04:00 CEST; two hours earlier is 01:00 CET (the clock skipped 02:00-03:00).
    now = datetime(2025, 3, 30, 2, 0, tzinfo=UTC)
    assert to_iso(parse_date("vor 2 Stunden", now=now)) == "2025-03-30T01:00:00+01:00"


def test_relative_days_keep_the_wall_clock_across_dst():
    now = datetime(2025, 3, 31, 10, 0, tzinfo=UTC)  # 12:00 CEST
    assert to_iso(parse_date("vor 3 Tagen", now=now)) == "2025-03-28T12:00:00+01:00"


def test_gestern_is_the_day_before_in_vienna_not_in_utc():
    # 23:30 UTC on 27 June is already 01:30 on 28 June in Vienna.
    now = datetime(2025, 6, 27, 23, 30, tzinfo=UTC)
    assert to_iso(parse_date("gestern, 18:45", now=now)) == "2025-06-27T18:45:00+02:00"


@pytest.mark.parametrize("raw", [
    None, "", "   ", "Kommentare", "1/50", "1/37", "24/7", "2.5 Mio", "42", "1234567890", "2025",
    "Update", "Update um 18.15 Uhr:", "Heute", "heute", "HEUTE", "Heute.at", "20 Minuten", "Teilen",
    "20.04", "14.30 Uhr", "17.30", "Juni 2025", "27. Juni", "15. bis 20. August", "329. Wiener Derby",
    "32.01.2025", "12.13.2025", "31.06.2025", "29.02.2025", "27.06.2025, 25:00", "2025-13-01",
    "01.01.1989", "3. März 1985", "1989-12-31T23:00:00Z",   # before 1990
    "01.07.2025", "2025-12-24",                              # more than two days after NOW
    "Stand der Dinge", "Akt:", "vor Ort", "heute Abend", "x" * 300, "27.06.2025 " + "x" * 300,
])
def test_rejected(raw):
    assert parse_date(raw, now=NOW) is None


@pytest.mark.parametrize("raw", [
    "2025-06-27T20:04:00+99:00", "27.06.2025 20:04 +24:00", "2025-06-27T20:04:00-12:99", "27.06.2025 24:00",
    "vor 9999 Wochen", "il y a 99999999999 ans", "9999-12-31T23:59:59Z", "0001-01-01", "31.12.9999",
])
def test_out_of_range_parts_give_none_not_an_exception(raw):
    assert parse_date(raw, now=NOW) is None


def test_future_limit_is_two_days():
    assert to_iso(parse_date("30.06.2025", now=NOW)) == "2025-06-30T00:00:00+02:00"
    assert parse_date("30.06.2025, 12:01", now=NOW) is None


def test_heute_alone_is_the_newspaper_not_a_date():
    assert parse_date("Heute", now=NOW) is None
    assert find_dates("Wie Heute berichtete", now=NOW) == []
    assert to_iso(parse_date("Heute, 07:15", now=NOW)) == "2025-06-28T07:15:00+02:00"


@pytest.mark.parametrize("raw", ["27.06.2025, 20:04", "2025-06-27T18:04:00Z", "Fri, 27 Jun 2025 18:04:00 GMT",
                                 "2025-06-27T20:04:00+02:00", "June 27, 2025 8:04 pm"])
def test_results_are_aware_and_the_same_instant(raw):
    result = parse_date(raw, now=NOW)
    assert result.tzinfo is not None and result.utcoffset() is not None
    assert result == datetime(2025, 6, 27, 18, 4, tzinfo=UTC)


def test_default_tz_is_used_for_wall_times():
    assert to_iso(parse_date("27.06.2025, 20:04", now=NOW, default_tz=ZoneInfo("UTC"))) == "2025-06-27T20:04:00+00:00"
    assert to_iso(parse_date("June 27, 2025", now=NOW, default_tz=ZoneInfo("America/New_York"))) == (
        "2025-06-27T00:00:00-04:00"
    )
    # An explicit offset is kept, whatever default_tz says.
    assert to_iso(parse_date("2025-06-27T20:04:00+02:00", now=NOW, default_tz=ZoneInfo("UTC"))) == (
        "2025-06-27T20:04:00+02:00"
    )


def test_naive_now_is_taken_as_utc_and_default_now_is_current_time():
    assert parse_date("vor 2 Stunden", now=NOW.replace(tzinfo=None)) == parse_date("vor 2 Stunden", now=NOW)
    before = datetime.now(UTC).replace(microsecond=0)
    result = parse_date("vor 5 Minuten")
    assert before - timedelta(minutes=5, seconds=1) <= result <= datetime.now(UTC) - timedelta(minutes=5)


def test_to_iso():
    assert to_iso(None) is None
    assert to_iso(datetime(2025, 6, 27, 20, 4, 59, 999999, tzinfo=VIENNA)) == "2025-06-27T20:04:59+02:00"
    assert to_iso(datetime(2025, 6, 27, 18, 4, tzinfo=timezone.utc)) == "2025-06-27T18:04:00+00:00"
    assert to_iso(datetime(2025, 1, 5, 10, 0)) == "2025-01-05T10:00:00+01:00"  # naive = Vienna


@pytest.mark.parametrize(("text", "kind", "rest"), [
    ("Publiziert: 27.06.2025, 20:04", "published", "27.06.2025, 20:04"),
    ("Veröffentlicht am 27.06.2025", "published", "27.06.2025"),
    ("Erstellt: 1.1.2020", "published", "1.1.2020"),
    ("Erschienen am 3. März 2023", "published", "3. März 2023"),
    ("Aktualisiert am 28.06.2025 um 08:00 Uhr", "modified", "28.06.2025 um 08:00 Uhr"),
    ("Akt.: 05.09.2019", "modified", "05.09.2019"),
    ("Akt. 05.09.2019", "modified", "05.09.2019"),
    ("Akt: 05.09.2019, 17:05", "modified", "05.09.2019, 17:05"),
    ("| Akt: 05.09.2019, 17:05", "modified", "05.09.2019, 17:05"),
    ("Update: 28.06.2025", "modified", "28.06.2025"),
    ("Updated on June 27, 2025", "modified", "June 27, 2025"),
    ("Stand: 3. März 2023, 14.30 Uhr", "modified", "3. März 2023, 14.30 Uhr"),
    ("Stand 28.06.2025", "modified", "28.06.2025"),
    ("ZULETZT AKTUALISIERT: 28.06.2025", "modified", "28.06.2025"),
    ("geändert am 1.1.2020", "modified", "1.1.2020"),
    ("Update", "modified", ""),
    ("27.06.2025, 20:04", None, "27.06.2025, 20:04"),
    ("  Aktien steigen ", None, "Aktien steigen"),
    ("Stand der Dinge", None, "Stand der Dinge"),
    ("Updates aus aller Welt", None, "Updates aus aller Welt"),
])
def test_strip_label(text, kind, rest):
    assert strip_label(text) == (kind, rest)


def test_find_dates_in_a_byline():
    found = find_dates("Publiziert: 27.06.2025, 20:04 | Aktualisiert: 28.06.2025, 08:00", now=NOW)
    assert [(kind, raw, to_iso(dt)) for kind, raw, dt in found] == [
        ("published", "Publiziert: 27.06.2025, 20:04", "2025-06-27T20:04:00+02:00"),
        ("modified", "Aktualisiert: 28.06.2025, 08:00", "2025-06-28T08:00:00+02:00"),
    ]


@pytest.mark.parametrize(("text", "expected"), [
    # Old heute.at design: SVG titles leak into the byline text.
    ("Nav-AccountCreated with Sketch. A. Klein TimeCreated with Sketch.| Akt: 05.09.2019, 17:05",
     [("modified", "Akt: 05.09.2019, 17:05", "2019-09-05T17:05:00+02:00")]),
    ("Maxim Zdziarski 27.06.2025, 20:04",
     [(None, "27.06.2025, 20:04", "2025-06-27T20:04:00+02:00")]),
    ("Sonntag, 05. Jänner 2025",
     [(None, "Sonntag, 05. Jänner 2025", "2025-01-05T00:00:00+01:00")]),
    ("Stand: 3. März 2023, 14.30 Uhr",
     [("modified", "Stand: 3. März 2023, 14.30 Uhr", "2023-03-03T14:30:00+01:00")]),
    # "12.06" is the start of the second date, not a time after the first.
    ("Publiziert: 27.06.2025 | 12.06.2025",
     [("published", "Publiziert: 27.06.2025", "2025-06-27T00:00:00+02:00"),
      (None, "12.06.2025", "2025-06-12T00:00:00+02:00")]),
    ("vor 2 Stunden · gestern, 18:45 Uhr",
     [(None, "vor 2 Stunden", "2025-06-28T10:00:00+02:00"),
      (None, "gestern, 18:45 Uhr", "2025-06-27T18:45:00+02:00")]),
    ("Der DSN peilte das Handy am 2. August um exakt 17.30 Uhr.", []),
    ("1/37 Gehe zur Galerie", []),
    ("Datum: 32.13.2025 und 01.01.1970", []),
    ("", []),
])
def test_find_dates(text, expected):
    assert [(kind, raw, to_iso(dt)) for kind, raw, dt in find_dates(text, now=NOW)] == expected


@pytest.mark.parametrize("raw", [
    "18.11.2024", "27.06.2025, 20:04", "27.06.25, 20:04", "3. März 2023, 14.30 Uhr", "Sonntag, 05. Jänner 2025",
    "5. Feber 2024", "Akt: 05.09.2019, 17:05", "2025-06-27T20:04:00.123+0200", "2025-06-27",
    "Fri, 27 Jun 2025 18:04:00 GMT", "June 27, 2025", "vor 2 Stunden", "gestern, 18:45", "vorgestern",
    "Heute", "Kommentare",
])
def test_fast_path_forms_never_call_dateparser(raw, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError(f"dateparser called for {raw!r}")

    monkeypatch.setattr(dates.dateparser, "parse", forbidden)
    parse_date(raw, now=NOW)  # raises AssertionError if the fast path missed it


def test_dateparser_results_are_cached_by_string(monkeypatch):
    calls = []
    real_parse = dates.dateparser.parse

    def counting(text, *args, **kwargs):
        calls.append(text)
        return real_parse(text, *args, **kwargs)

    monkeypatch.setattr(dates.dateparser, "parse", counting)
    dates._dateparser_absolute.cache_clear()
    first = parse_date("27 juin 2025", now=NOW)
    n_calls = len(calls)
    second = parse_date("  27 juin 2025 ", now=NOW)
    assert n_calls >= 1 and len(calls) == n_calls
    assert first == second == datetime(2025, 6, 27, tzinfo=VIENNA)


def test_docstring_examples():
    result = doctest.testmod(dates)
    assert result.attempted > 0 and result.failed == 0


DATE_BITS = st.sampled_from([
    "0", "1", "2", "9", "12", "27", "31", "99", "2025", "1989", "9999", ".", ":", ",", "-", "/", " ", "T", "Z",
    "+02:00", "Uhr", "um", "am", "vor", "Stunden", "Tagen", "gestern", "heute", "Heute", "Jänner", "März", "Sept.",
    "Akt:", "Publiziert:", "|", "June", "juin", "ago", "il y a", "GMT", "Fri,", "Sonntag,",
])
DATE_LIKE = st.one_of(st.text(max_size=60), st.lists(DATE_BITS, max_size=10).map("".join),
                      st.lists(DATE_BITS, max_size=10).map(" ".join))


@settings(max_examples=300, deadline=None)
@given(DATE_LIKE, st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)))
def test_parse_date_never_raises_and_is_aware_and_sane(text, now):
    result = parse_date(text, now=now)
    if result is not None:
        assert result.tzinfo is not None and result.utcoffset() is not None
        assert result.year >= 1990 and result <= now + timedelta(days=2)
        # to_iso() output is itself a parseable form for the same instant (to the second).
        assert parse_date(to_iso(result), now=now) == result.replace(microsecond=0)


@settings(max_examples=200, deadline=None)
@given(DATE_LIKE)
def test_find_dates_and_strip_label_never_raise(text):
    for kind, raw, dt in find_dates(text, now=NOW):
        assert kind in (None, "published", "modified")
        assert raw in text and dt.utcoffset() is not None
    kind, rest = strip_label(text)
    assert kind in (None, "published", "modified") and isinstance(rest, str)
