"""The wording of the program's posts and of /program and /schedule, from plain values.

Times are Discord timestamps (`<t:UNIX:style>`), so every reader sees them in their own time
zone. Every text is cut to fit Discord's 2,000-character message limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.program import AgendaRow, PlannedPost, Timeline, decide, plan_posts
from bot.schedule import Delayed, Due, PostRecord, TopQuestion
from bot.sessions import Session
from bot.states import PASSED_REVIEW, UNANSWERED, State
from bot.timeutil import discord_timestamp
from cogs._common import shown

LIMIT = 2000  # Discord's message content limit
TITLE_LIMIT = 100  # segment titles in lists (/program, /schedule status, delay notice)
STATUS_POSTS = 8

KIND_LABEL = {
    "segment": "Segment",
    "reminder": "Reminder to moderators",
    "intake-open": "Questions open",
    "intake-close": "Questions close",
    "summary": "Closing summary to moderators",
    "report": "The report, to organizers",
    "followups": "Follow-up posts for the unanswered questions",
}


# ------------------------------------------------------------------------ rendering (plain)


def _t(moment: datetime, style: str = "t") -> str:
    return discord_timestamp(moment, style)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fit(lines: list[str]) -> str:
    """Join lines, dropping from the end (with a note) to stay within Discord's limit."""
    text = "\n".join(lines)
    while len(text) > LIMIT and len(lines) > 1:
        lines = lines[:-1]
        text = "\n".join([*lines, "…"])
    return text[:LIMIT]


def rehearsal_banner(timeline: Timeline) -> str | None:
    """Return the line that marks a rehearsal's messages, or None in a real run."""
    if not timeline.run.is_rehearsal:
        return None
    return (
        f"🎬 **Rehearsal** (×{timeline.speed:g}, times are the rehearsal's), not the live session."
    )


def _lines(timeline: Timeline, *lines: str | None) -> list[str]:
    return [line for line in (rehearsal_banner(timeline), *lines) if line is not None]


def segment_message(
    timeline: Timeline,
    row: AgendaRow,
    *,
    late: bool,
    approved_waiting: int,
    questions_channel: str,
) -> str:
    """The live-channel post when a segment starts."""
    session, segment = timeline.session, row.slot.segment
    lines = _lines(
        timeline,
        f"▶️ **Now: {_cut(segment.title, 300)}**",
        f"{_t(row.start)} – {_t(row.end)}",
    )
    if late:
        lines.append(
            f"(Posted late: the bot was offline when this segment started at {_t(row.start)}.)"
        )
    speaker = session.speaker(segment.speaker)
    if speaker is not None:
        name = " ".join(p for p in (speaker.honorific, speaker.name) if p)
        where = ", ".join(p for p in (speaker.organization, speaker.country) if p)
        lines.append(f"🎤 {name}" + (f" — {where}" if where else ""))
        if speaker.talk_title:
            lines.append(f"Talk: *{_cut(speaker.talk_title, 300)}*")
    if segment.kind == "discussion" and segment.guiding_questions:
        lines.append("**Guiding questions**")
        current: int | None = None
        for i, question in enumerate(segment.guiding_questions, 1):
            if question.round is not None and question.round != current:
                current = question.round
                lines.append(f"*Round {current}*")
            lines.append(f"{i}. {_cut(question.text, 400)}")
    if segment.kind == "qa":
        waiting = f"{approved_waiting} approved question{'s' if approved_waiting != 1 else ''}"
        lines.append(f"💬 Ask your question with `/ask` in {questions_channel}. {waiting} waiting.")
    return _fit(lines)


def reminder_message(
    timeline: Timeline,
    start: datetime,
    title: str,
    counts: Mapping[str, int],
    top: TopQuestion | None,
) -> str:
    """The moderation-channel reminder before a Q&A or discussion segment."""
    lines = _lines(
        timeline,
        f"⏰ **{_cut(title, 200)}** starts {_t(start, 'R')} ({_t(start)}).",
        f"Queue: {counts.get('pending', 0)} pending · {counts.get('approved', 0)} approved.",
    )
    if top is None:
        lines.append("No approved question yet.")
    else:
        votes = f"{top.votes} vote{'s' if top.votes != 1 else ''}"
        lines.append(f"Top question: #{top.number} ({votes}): {shown(_cut(top.text, 500))}")
    return _fit(lines)


def intake_open_message(timeline: Timeline, closes: datetime | None, questions: str) -> str:
    until = f" Intake closes at {_t(closes)} ({_t(closes, 'R')})." if closes else ""
    return _fit(
        _lines(timeline, f"✅ **Questions are open.** Ask with `/ask` in {questions}.{until}")
    )


def intake_close_message(timeline: Timeline) -> str:
    return _fit(_lines(timeline, "🔒 **Questions are closed.** Thank you for your questions!"))


def summary_message(
    timeline: Timeline, closed_at: datetime, counts: Mapping[str, int], override: str | None
) -> str:
    """The moderators' summary at the close of intake.

    Asked: every question of the run. Approved: every question that passed review (approved,
    live, answered, dismissed or merged into another), as in the report. Still unanswered:
    approved or live.
    """
    asked = sum(counts.values())
    answered = counts.get(State.ANSWERED, 0)
    unanswered = sum(counts.get(state, 0) for state in UNANSWERED)
    approved = sum(counts.get(state, 0) for state in PASSED_REVIEW)
    lines = _lines(
        timeline,
        f"📋 **Q&A summary**, intake closed on schedule at {_t(closed_at)}:",
        f"Asked: {asked} · Approved: {approved} · Answered: {answered} · "
        f"Still unanswered: {unanswered} · Pending (never moderated): {counts.get('pending', 0)}",
    )
    if override == "open":
        lines.append("Intake is still open: a moderator opened it by hand. `/qa close` closes it.")
    return _fit(lines)


def program_message(
    timeline: Timeline, rows: list[AgendaRow], now: datetime, title: str | None = None
) -> str:
    """The agenda for /program: times in each reader's zone, the live segment marked."""
    lines = _lines(timeline, f"📅 **{_cut(title or timeline.session.title, 200)}**")
    delay = timeline.run.delay_seconds
    if delay:
        word = "late" if delay > 0 else "early"
        lines.append(f"The program is running {abs(delay) // 60} min {word}.")
    if not rows:
        lines.append("This session has no program: moderators open and close questions by hand.")
    for row in rows:
        span = f"{_t(row.start)}–{_t(row.end)} {_cut(row.slot.segment.title, TITLE_LIMIT)}"
        if row.live:
            lines.append(f"▶️ **{span}** ← now")
        elif row.over:
            lines.append(f"✓ {span}")
        else:
            lines.append(f"◦ {span}")
    if rows and rows[-1].end <= now:
        lines.append("The program is over.")
    return _fit(lines)


def _segment_title(session: Session, post: PlannedPost) -> str:
    slot = session.slot(post.segment_id) if post.segment_id is not None else None
    return _cut(slot.segment.title, TITLE_LIMIT) if slot is not None else ""


def _describe(post: PlannedPost, session: Session) -> str:
    label = KIND_LABEL[post.kind]
    title = _segment_title(session, post)
    return f"{label}: {title}" if title else label


def status_message(timeline: Timeline, records: Mapping[str, PostRecord], now: datetime) -> str:
    """The answer to /schedule status: delay, intake, and the next posts."""
    run = timeline.run
    lines = _lines(timeline, f"🗓 **Schedule of {_cut(timeline.session.title, 150)}**")
    delay = run.delay_seconds
    lines.append(
        f"Delay: {delay // 60:+d} min of program time." if delay else "Delay: none, on time."
    )
    state = "open" if timeline.intake_open(now) else "closed"
    how = {
        "open": "opened by hand",
        "closed": "closed by hand",
    }.get(run.intake_override or "", "by schedule")
    lines.append(f"Questions: {state} ({how}).")
    decisions = decide(plan_posts(timeline), records, now, timeline.grace())
    upcoming = [d for d in decisions if d.action != "skip"]
    if not upcoming:
        lines.append("Nothing left to post.")
    else:
        lines.append("Next posts:")
        for d in upcoming[:STATUS_POSTS]:
            when = f"{_t(d.post.due)} ({_t(d.post.due, 'R')})" if d.action == "schedule" else "now"
            lines.append(f"• {when} {_describe(d.post, timeline.session)}")
        if len(upcoming) > STATUS_POSTS:
            lines.append(f"… and {len(upcoming) - STATUS_POSTS} more.")
    failed = [r.key for r in records.values() if r.status == "failed"]
    if failed:
        lines.append(f"Failed to post: {', '.join(failed)}.")
    return _fit(lines)


def post_text(timeline: Timeline, due: Due, questions_channel: str) -> str:
    """The text of one program post."""
    post = due.post
    if post.kind == "segment":
        assert due.row is not None
        return segment_message(
            timeline,
            due.row,
            late=due.late,
            approved_waiting=due.counts.get(State.APPROVED, 0),
            questions_channel=questions_channel,
        )
    if post.kind == "reminder":
        assert post.segment_id is not None and post.until is not None
        slot = timeline.session.slot(post.segment_id)
        assert slot is not None
        return reminder_message(timeline, post.until, slot.segment.title, due.counts, due.top)
    if post.kind == "intake-open":
        return intake_open_message(timeline, timeline.intake_closes_at(), questions_channel)
    if post.kind == "intake-close":
        return intake_close_message(timeline)
    if post.kind == "report":
        return report_message(timeline, due.questions)
    if post.kind == "followups":
        return followups_message(timeline)
    return summary_message(timeline, post.due, due.counts, timeline.run.intake_override)


def delay_message(delayed: Delayed, minutes: int) -> str:
    """The live-channel announcement of a delay, with the new times."""
    timeline = delayed.timeline
    word = f"{abs(minutes)} minute{'s' if abs(minutes) != 1 else ''}"
    headline = (
        f"⏱ **The program is running {word} later.**"
        if minutes > 0
        else f"⏩ **The program moves {word} earlier.**"
    )
    lines = _lines(timeline, headline, "New times:")
    lines += [
        f"• {_t(delayed.new_time(p))} {_segment_title(timeline.session, p)}" for p in delayed.moved
    ]
    return _fit(lines)


def delay_reply(delayed: Delayed, minutes: int, announced: str | None) -> str:
    """What the moderator who delayed the program is told; `announced` is None when the
    announcement was posted, else why it was not."""
    total = delayed.total_seconds
    total_text = f"{total // 60:+d} min" if total % 60 == 0 else f"{total:+d} s"
    done = (
        f"Delay of {minutes:+d} min applied to {len(delayed.moved)} segment(s) not yet started "
        f"(total delay {total_text})"
    )
    if announced is None:
        return f"{done}; announced in the live channel."
    return (
        f"{done}. The announcement could not be posted in the live channel ({announced}); "
        "the new times are in /program. Do not apply the delay again."
    )


def report_message(timeline: Timeline, questions: int) -> str:
    """Posted to organizers with the HTML report when the program ends."""
    plural = "s" if questions != 1 else ""
    return _fit(
        _lines(
            timeline,
            f"📊 **The program of {_cut(timeline.session.title, 200)} has ended.** Here is the "
            f"Q&A report ({questions} question{plural}); open it in a browser, or print it. "
            "/qa export gives it again, or as a spreadsheet.",
        )
    )


def too_large(session_id: str) -> str:
    """When the report is too large to upload to this server."""
    return (
        "The report is too large to upload here; get it on the bot's machine: "
        f"python run_bot.py report --session {session_id} --format html --out report.html"
    )


def followups_message(timeline: Timeline) -> str:
    """In the live channel, when the unanswered questions have become follow-up posts."""
    return _fit(
        _lines(
            timeline,
            "📬 **The questions we could not answer live continue in the follow-up forum**: "
            "each has its own post, where the speakers answer after the session.",
        )
    )
