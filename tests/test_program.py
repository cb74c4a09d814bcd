"""The program's clock without Discord: what is due, missed, late or shifted (times passed in)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import Refusal
from bot.program import (
    GRACE_FLOOR,
    INTAKE_CLOSE,
    INTAKE_OPEN,
    REPORT,
    SUMMARY,
    PlannedPost,
    Timeline,
    agenda,
    check_delay,
    decide,
    plan_posts,
    unstarted_segments,
)
from bot.sessions import Session, load_session
from bot.storage.repository import Run
from tests.conftest import GSEF

DATA = Path(__file__).resolve().parent / "data"
T0 = datetime(2021, 10, 4, 9, 0, tzinfo=UTC)  # GSEF starts: 18:00 KST
GSEF_SEGMENTS = [
    "connection-check",
    "moderator-introduction",
    "session-introduction",
    "presentation-1",
    "presentation-2",
    "presentation-3",
    "presentation-4",
    "moderated-discussion",
    "participant-qa",
    "closing-remarks",
]


@pytest.fixture(scope="module")
def gsef() -> Session:
    return load_session(GSEF)


def real_run(delay: int = 0, override: str | None = None) -> Run:
    return Run(1, "s", "real", T0 - timedelta(days=1), None, 1.0, delay, override, None)


def rehearsal(anchor: datetime, speed: float, delay: int = 0) -> Run:
    return Run(2, "s", "rehearsal", anchor, anchor, speed, delay, None, None)


def by_key(posts: list[PlannedPost]) -> dict[str, PlannedPost]:
    return {p.key: p for p in posts}


def at(hh: int, mm: int, ss: float = 0) -> datetime:
    """A GSEF instant given in KST (the program's own clock)."""
    return datetime(2021, 10, 4, hh - 9, mm, tzinfo=UTC) + timedelta(seconds=ss)


# ------------------------------------------------------------------------------- the plan


def test_plan_of_the_real_gsef_run(gsef: Session) -> None:
    plan = plan_posts(Timeline(gsef, real_run()))
    keys = [p.key for p in plan]
    assert [k for k in keys if k.startswith("segment:")] == [f"segment:{s}" for s in GSEF_SEGMENTS]
    assert keys[:2] == ["segment:connection-check", INTAKE_OPEN]
    posts = by_key(plan)
    assert len(plan) == 16
    assert posts["segment:participant-qa"].due == at(19, 10)
    assert posts["segment:participant-qa"].until == at(19, 25)
    # reminders 5 minutes ahead, only before the discussion and the Q&A, until the segment starts
    assert sorted(k for k in keys if k.startswith("reminder:")) == [
        "reminder:moderated-discussion",
        "reminder:participant-qa",
    ]
    assert posts["reminder:participant-qa"].due == at(19, 5)
    assert posts["reminder:participant-qa"].until == at(19, 10)
    assert posts[INTAKE_OPEN].due == at(18, 0)
    assert posts[INTAKE_CLOSE].due == posts[SUMMARY].due == at(19, 30)
    assert posts[REPORT].due == at(19, 30) and posts[REPORT].until is None  # always sent
    assert [p.due for p in plan] == sorted(p.due for p in plan)


def test_plan_closes_before_it_opens_at_the_same_instant(gsef: Session) -> None:
    plan = plan_posts(Timeline(gsef, real_run()))
    keys = [p.key for p in plan]
    assert keys.index("reminder:participant-qa") < keys.index("segment:participant-qa")
    assert keys[-4:] == ["segment:closing-remarks", INTAKE_CLOSE, SUMMARY, REPORT]
    assert keys.index("segment:connection-check") < keys.index(INTAKE_OPEN)


def test_reminder_minutes_come_from_the_session_file(gsef: Session) -> None:
    spec = gsef.spec.model_copy(
        update={"schedule": gsef.spec.schedule.model_copy(update={"reminder_minutes": 12})}
    )
    posts = by_key(plan_posts(Timeline(Session(spec, gsef.source), real_run())))
    assert posts["reminder:moderated-discussion"].due == at(18, 38)
    none = spec.model_copy(
        update={"schedule": gsef.spec.schedule.model_copy(update={"reminder_minutes": 0})}
    )
    keys = by_key(plan_posts(Timeline(Session(none, gsef.source), real_run())))
    assert not [k for k in keys if k.startswith("reminder:")]


def test_a_session_without_program_or_window_has_no_posts() -> None:
    session = load_session(GSEF.parent / "asec-open-space-2021.toml")
    assert plan_posts(Timeline(session, real_run())) == []


@pytest.mark.parametrize(("speed", "length"), [(600, 9.0), (5400, 1.0), (60, 90.0)])
def test_rehearsal_plays_the_program_speed_times_faster(
    gsef: Session, speed: float, length: float
) -> None:
    anchor = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    plan = by_key(plan_posts(Timeline(gsef, rehearsal(anchor, speed))))
    assert plan["segment:connection-check"].due == anchor
    assert plan[INTAKE_OPEN].due == anchor
    assert plan[SUMMARY].due == anchor + timedelta(seconds=length)
    # 18:11 is 660 s of program after the start
    assert plan["segment:presentation-1"].due == anchor + timedelta(seconds=660 / speed)


@given(
    offset=st.integers(min_value=-86_400, max_value=86_400),
    speed=st.sampled_from([1.0, 2.5, 60.0, 600.0]),
    delay=st.integers(min_value=-3600, max_value=3600),
)
def test_to_session_undoes_to_real(offset: int, speed: float, delay: int) -> None:
    session = load_session(GSEF)
    anchor = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    moment = T0 + timedelta(seconds=offset)
    for run in (real_run(delay), rehearsal(anchor, speed, delay)):
        timeline = Timeline(session, run)
        back = timeline.to_session(timeline.to_real(moment))
        assert abs((back - moment).total_seconds()) < 1e-3


# ------------------------------------------------------------------------------- decisions


def test_decide_schedules_future_posts_and_skips_done_ones(gsef: Session) -> None:
    timeline = Timeline(gsef, real_run())
    plan = plan_posts(timeline)
    now = at(17, 0)
    decisions = decide(plan, {"segment:connection-check"}, now, timeline.grace())
    assert {d.action for d in decisions} == {"schedule"}
    assert len(decisions) == len(plan) - 1
    assert "segment:connection-check" not in {d.post.key for d in decisions}


def test_decide_at_start_up_mid_session(gsef: Session) -> None:
    """The bot comes back at 19:12 KST after being down since before the start."""
    timeline = Timeline(gsef, real_run())
    decisions = {
        d.post.key: d for d in decide(plan_posts(timeline), set(), at(19, 12), timeline.grace())
    }
    # over: skipped, with the reason to log
    for seg in GSEF_SEGMENTS[:8]:
        assert decisions[f"segment:{seg}"].action == "skip", seg
        assert "already over" in decisions[f"segment:{seg}"].reason
    assert decisions["reminder:moderated-discussion"].action == "skip"
    assert decisions["reminder:participant-qa"].action == "skip"  # its Q&A has started
    # still running: posted now, marked late
    assert decisions["segment:participant-qa"].action == "post"
    assert decisions["segment:participant-qa"].late
    assert decisions[INTAKE_OPEN].action == "post" and decisions[INTAKE_OPEN].late
    # still to come
    assert decisions["segment:closing-remarks"].action == "schedule"
    assert decisions[INTAKE_CLOSE].action == "schedule"


def test_a_post_within_the_grace_is_on_time_even_if_its_window_passed(gsef: Session) -> None:
    anchor = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    timeline = Timeline(gsef, rehearsal(anchor, 5400))
    assert timeline.grace() == GRACE_FLOOR
    # 0.5 s after the anchor: at 5400x, segments up to 18:45 have started, several are over
    decisions = decide(
        plan_posts(timeline), set(), anchor + timedelta(seconds=0.5), timeline.grace()
    )
    due_now = [d for d in decisions if d.action == "post"]
    assert [d.post.key for d in due_now][:3] == [
        "segment:connection-check",
        INTAKE_OPEN,
        "segment:moderator-introduction",
    ]
    assert not any(d.late for d in due_now)
    assert not [d for d in decisions if d.action == "skip"]


def test_lateness_is_measured_against_the_grace(gsef: Session) -> None:
    timeline = Timeline(gsef, real_run())
    assert timeline.grace() == timedelta(seconds=60)
    plan = [p for p in plan_posts(timeline) if p.key == "segment:participant-qa"]
    on_time = decide(plan, set(), at(19, 10, 59), timeline.grace())
    late = decide(plan, set(), at(19, 11, 1), timeline.grace())
    over = decide(plan, set(), at(19, 25), timeline.grace())
    assert (on_time[0].action, on_time[0].late) == ("post", False)
    assert (late[0].action, late[0].late) == ("post", True)
    assert over[0].action == "skip"


def test_the_closing_summary_is_still_sent_within_an_hour(gsef: Session) -> None:
    timeline = Timeline(gsef, real_run())
    plan = plan_posts(timeline)
    soon = {d.post.key: d for d in decide(plan, set(), at(20, 15), timeline.grace())}
    assert soon[SUMMARY].action == "post" and soon[SUMMARY].late
    later = {d.post.key: d for d in decide(plan, set(), at(20, 31), timeline.grace())}
    assert later[SUMMARY].action == "skip"


def test_restart_in_the_middle_of_a_rehearsal(gsef: Session) -> None:
    """Posts done before the restart are not repeated; everything still due is kept."""
    anchor = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    timeline = Timeline(gsef, rehearsal(anchor, 60))  # 1 program minute per second
    plan = plan_posts(timeline)
    # down from 18:20 to 18:23 of the program (3 s); posts before 18:20 were made
    done = {p.key for p in plan if p.due <= anchor + timedelta(seconds=20)}
    decisions = {
        d.post.key: d for d in decide(plan, done, anchor + timedelta(seconds=23), timeline.grace())
    }
    assert done.isdisjoint(decisions)
    assert set(decisions) | done == {p.key for p in plan}
    assert decisions["segment:presentation-2"].action == "post"  # 18:21, missed by 2 s
    assert not decisions["segment:presentation-2"].late  # within the 5 s grace
    assert all(
        d.action == "schedule" for k, d in decisions.items() if k != "segment:presentation-2"
    )


# ------------------------------------------------------------------------------- delays


def test_a_delay_shifts_exactly_the_segments_not_started(gsef: Session) -> None:
    timeline = Timeline(gsef, real_run())
    plan = plan_posts(timeline)
    now = at(18, 25)  # during presentation-2
    done = {p.key for p in plan if p.due <= now}
    moving = check_delay(timeline, done, now, 10 * 60)
    assert [p.segment_id for p in moving] == GSEF_SEGMENTS[5:]
    delayed = Timeline(gsef, replace(timeline.run, delay_seconds=600))
    before, after = by_key(plan), by_key(plan_posts(delayed))
    for key in {p.key for p in plan} - done:
        if key != INTAKE_OPEN:
            assert after[key].due - before[key].due == timedelta(minutes=10), key
    assert {d.post.key for d in decide(plan_posts(delayed), done, now, delayed.grace())} == (
        {p.key for p in plan} - done
    )
    # the started segments keep their times; the running one lasts 10 minutes longer
    started = {k: before[k].due for k in done if k.startswith("segment:")}
    rows = {r.slot.id: r for r in agenda(delayed, started, now)}
    assert rows["presentation-1"].start == at(18, 11)
    assert rows["presentation-1"].end == at(18, 21)
    assert rows["presentation-2"].start == at(18, 21)
    assert rows["presentation-2"].end == at(18, 41)
    assert rows["presentation-2"].live
    assert rows["presentation-3"].start == at(18, 41) and not rows["presentation-3"].started
    assert rows["presentation-1"].over and not rows["presentation-3"].over


def test_a_segment_due_this_instant_has_started_and_does_not_move(gsef: Session) -> None:
    timeline = Timeline(gsef, real_run())
    plan = plan_posts(timeline)
    now = at(18, 21)  # presentation-2 is due right now: it has started
    assert unstarted_segments(plan, set(), now)[0].segment_id == "presentation-3"
    just_before = now - timedelta(microseconds=1)
    assert unstarted_segments(plan, set(), just_before)[0].segment_id == "presentation-2"


def test_a_delay_in_a_rehearsal_is_in_program_minutes(gsef: Session) -> None:
    anchor = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    timeline = Timeline(gsef, rehearsal(anchor, 60))
    delayed = Timeline(gsef, rehearsal(anchor, 60, delay=300))
    a, b = by_key(plan_posts(timeline)), by_key(plan_posts(delayed))
    assert b["segment:participant-qa"].due - a["segment:participant-qa"].due == timedelta(seconds=5)


def test_delays_that_cannot_apply_are_refused(gsef: Session) -> None:
    timeline = Timeline(gsef, real_run())
    plan = plan_posts(timeline)
    with pytest.raises(Refusal, match="other than 0"):
        check_delay(timeline, set(), at(18, 0), 0)
    everything = {p.key for p in plan}
    with pytest.raises(Refusal, match="nothing left to delay"):
        check_delay(timeline, everything, at(19, 26), 300)
    now = at(18, 18)  # presentation-2 starts in 3 minutes
    done = {p.key for p in plan if p.due <= now}
    with pytest.raises(Refusal, match="at most 3 minute"):
        check_delay(timeline, done, now, -4 * 60)
    assert check_delay(timeline, done, now, -3 * 60)[0].segment_id == "presentation-2"


def test_a_session_without_program_has_nothing_to_delay() -> None:
    session = load_session(GSEF.parent / "asec-open-space-2021.toml")
    with pytest.raises(Refusal, match="no program"):
        check_delay(Timeline(session, real_run()), set(), T0, 300)


def test_intake_follows_the_window_delays_and_overrides(gsef: Session) -> None:
    timeline = Timeline(gsef, real_run())
    assert not timeline.intake_open(at(17, 59))
    assert timeline.intake_open(at(18, 0))
    assert timeline.intake_open(at(19, 29, 59))
    assert not timeline.intake_open(at(19, 30))
    late = Timeline(gsef, real_run(delay=15 * 60))
    # a positive delay postpones the close, never the opening (a delay must not close intake)
    assert late.intake_opens_at() == at(18, 0)
    assert late.intake_closes_at() == at(19, 45)
    assert late.intake_open(at(18, 5)) and late.intake_open(at(19, 40))
    early = Timeline(gsef, real_run(delay=-10 * 60))
    assert early.intake_opens_at() == at(17, 50)
    assert early.intake_closes_at() == at(19, 20)
    assert by_key(plan_posts(late))[INTAKE_OPEN].due == late.intake_opens_at()
    assert Timeline(gsef, real_run(override="closed")).intake_open(at(18, 30)) is False
    assert Timeline(gsef, real_run(override="open")).intake_open(at(21, 0)) is True


# ------------------------------------------------------------------------------- time zones


def test_mexico_city_and_seoul_with_the_same_utc_start_post_at_the_same_instant() -> None:
    mexico = load_session(DATA / "schedule-mexico.toml")
    seoul = load_session(DATA / "schedule-seoul.toml")
    mx = [(p.key, p.due) for p in plan_posts(Timeline(mexico, real_run()))]
    kr = [(p.key, p.due) for p in plan_posts(Timeline(seoul, real_run()))]
    assert mx == kr
    assert mx[0] == ("segment:welcome", T0)
    assert mexico.slots[0].start.astimezone(mexico.zone).hour == 4
    assert seoul.slots[0].start.astimezone(seoul.zone).hour == 18


def test_a_session_across_the_end_of_daylight_saving_time() -> None:
    session = load_session(DATA / "schedule-dst.toml")
    plan = by_key(plan_posts(Timeline(session, real_run())))
    # 01:30 EDT (UTC-4) and 02:30, 03:30 EST (UTC-5)
    assert plan["segment:before-change"].due == datetime(2021, 11, 7, 5, 30, tzinfo=UTC)
    assert plan["segment:after-change"].due == datetime(2021, 11, 7, 7, 30, tzinfo=UTC)
    assert plan["reminder:after-change"].due == datetime(2021, 11, 7, 7, 25, tzinfo=UTC)
    assert plan[SUMMARY].due == datetime(2021, 11, 7, 8, 30, tzinfo=UTC)
    # the first segment lasts two real hours (the clocks repeat 01:00-02:00)
    first = plan["segment:before-change"]
    assert first.until is not None and first.until - first.due == timedelta(hours=2)


def test_a_session_across_the_start_of_daylight_saving_time() -> None:
    spec = load_session(DATA / "schedule-dst.toml").spec.model_copy(
        update={"date": datetime(2021, 3, 14).date()}
    )
    session = Session(spec, DATA / "schedule-dst.toml")
    plan = by_key(plan_posts(Timeline(session, real_run())))
    # 01:30 EST (UTC-5) = 06:30 UTC; 03:30 EDT (UTC-4) = 07:30 UTC; 02:30 does not exist and
    # the file check refuses such times, so only the ends are compared here
    assert plan["segment:before-change"].due == datetime(2021, 3, 14, 6, 30, tzinfo=UTC)
    assert plan[SUMMARY].due == datetime(2021, 3, 14, 7, 30, tzinfo=UTC)
