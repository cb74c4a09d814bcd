"""Messages of the cogs worded for the catalogs before the cogs say them through `bot.i18n`.

Each entry is the exact message a cog is to use, under the file and function it belongs to
(docs/languages.md, "Marking a message"). When a cog uses one, its entry leaves this list; when
the list is empty, this module goes. Nothing imports it: it is here for the catalogs' extraction
(scripts/catalogs.py), which keeps these messages and their translations in the catalogs.
"""

from __future__ import annotations

from bot.i18n import msg, nmsg, pmsg

MESSAGES = (
    # ---------------------------------------------------------------- cogs/_common.py
    # question_session
    msg(
        "This message belongs to a rehearsal or an earlier run that has ended; nothing was changed."
    ),
    # channel_mention (in public posts)
    msg("the questions channel"),
    # _role_problem (said after "Only moderators can do this (...).", a space between)
    msg(
        "{count} roles are named {role}, so none of them counts: rename all but one, or set "
        "`{key}` to the role's id in the session file's [discord] table."
    ),
    msg(
        "The role {role} does not exist in this server: create it, or set `{key}` in the "
        "session file's [discord] table."
    ),
    # require_moderator, require_organizer (then the role problem, if any, after a space)
    msg("Only moderators can do this (the {role} role or Manage Server)."),
    msg("Only organizers can do this (the {role} role or Manage Server)."),
    # ----------------------------------------------------------------- cogs/asking.py
    # confirmation: the first sentence, then the next two as they apply, a space between
    msg("Thanks! Your question is #{number}."),
    msg("A moderator will review it; it appears in the questions channel once approved."),
    msg("It is posted in the questions channel, where people can vote for it."),
    msg("It is shown as Anonymous."),
    # on_qa_instead_button
    msg("Your question #{number} is withdrawn, and your vote goes to #{kept}. Thank you!"),
    # myquestions
    msg("You have not asked anything in this session yet; /ask."),
    # withdraw
    msg("#{number} is withdrawn."),
    # -------------------------------------------------------------- cogs/moderation.py
    # _apply (the card's State field after a block or an unblock; {state}: wording outcome)
    msg("{state}; author unblocked"),
    msg("{state}; author blocked"),
    # approve, reject, edit, label, dismiss, answered
    msg("#{number} approved; it is in the queue for votes."),
    msg("#{number} rejected."),
    msg("#{number} edited; the original stays in the log."),
    msg("#{number} is labelled {label}."),
    msg("#{number} set aside."),
    msg("#{number} is answered."),
    # merge ({votes}: the plural below); and the card's outcome, also in cogs/themes.py
    msg("#{number} merged into #{into}: {votes}, also asked by {askers}."),
    nmsg("{count} vote", "{count} votes", 0),
    msg("Merged into #{number}"),
    # next
    msg("That speaker is not in this session; pick one from the list."),
    # _went_live
    msg("Now answering #{number}."),
    msg("#{number} is marked answered."),
    msg(
        "The live channel announcement of #{number} could not be posted ({error}); the bot "
        "retries it while the question is live."
    ),
    # _intake
    msg("Questions are open; they stay open until `/qa close`."),
    msg("Questions are closed; `/qa open` opens them again."),
    # block, unblock ({user}: a mention)
    msg("{user} can no longer ask questions here."),
    msg("The block of {user} made with /qa block is lifted."),
    # ----------------------------------------------------------------- cogs/exports.py
    # export ({questions}: the plural below)
    msg("The Q&A report of this session: {questions}."),
    msg("The Q&A report of this rehearsal: {questions}."),
    msg("The Q&A spreadsheet of this session: {questions}."),
    msg("The Q&A spreadsheet of this rehearsal: {questions}."),
    msg("The Q&A Markdown report of this session: {questions}."),
    msg("The Q&A Markdown report of this rehearsal: {questions}."),
    msg("The Q&A export of this session: {questions}."),
    msg("The Q&A export of this rehearsal: {questions}."),
    nmsg("{count} question", "{count} questions", 0),
    msg(
        "The {format} file is too large for Discord ({size} MB); get it on the bot's machine: "
        "python run_bot.py report --session {session} --format {format} --out FILE"
    ),
    # ------------------------------------------------------------------ cogs/themes.py
    # themes
    msg("Themes of the open questions"),
    msg("Grouped by their words; /qa next speaker:… or /qa pick N"),
    # ------------------------------------------------------------------ cogs/_views.py
    # asker
    msg("Anonymous"),
    # also_asked
    nmsg("Also asked by {count} person", "Also asked by {count} people", 0),
    # outcome ({outcome}: a state's outcome wording, or a verb above)
    msg("{outcome} by {name}"),
    # card_embed, vote_embed, live_embed: titles, field names, values, footers
    msg("Question #{number}"),
    msg("Speaker"),
    msg("Anyone"),
    msg("Label"),
    pmsg("no label", "None"),
    msg("Asked by"),
    msg("Duplicates"),
    msg("Possible duplicate"),
    msg("State"),
    msg("Chat message"),
    msg("For"),
    msg("Votes"),
    msg("{state}. Voting has ended."),
    msg("Being answered now."),
    # live_content
    msg("**Now answering #{number}**"),
    # digest_embed
    msg("Review them with `/qa approve number:N`, `/qa reject number:N` or `/qa queue`."),
    msg("New questions #{first}–#{last} ({count})"),
    msg(
        "Many questions arrived at once: their cards are combined to stay within Discord's "
        "rate limits."
    ),
    # queue_line, queue_embed ({state}: a state's card wording)
    msg("for {speaker}"),
    msg("{state} {count}"),
    msg("No approved questions yet."),
    msg("Queue: top {count} by votes"),
    # myquestions_embed
    msg("Your questions"),
    # CARD_ACTIONS, UNBLOCK, ModerationButton.LABELS, MergeButton, VoteInsteadButton
    msg("Approve"),
    msg("Reject"),
    msg("Block author"),
    msg("Unblock author"),
    msg("Dismiss"),
    msg("Merge"),
    msg("Vote instead"),
    # ---------------------------------------------------------- cogs/_schedule_text.py
    # KIND_LABEL
    msg("Segment"),
    msg("Reminder to moderators"),
    msg("Questions open"),
    msg("Questions close"),
    msg("Closing summary to moderators"),
    # rehearsal_banner ({speed}: 60, 1.5)
    msg("🎬 **Rehearsal** (×{speed}, times are the rehearsal's), not the live session."),
    # segment_message
    msg("▶️ **Now: {title}**"),
    msg("(Posted late: the bot was offline when this segment started at {time}.)"),
    msg("Talk: *{title}*"),
    msg("**Guiding questions**"),
    msg("*Round {number}*"),
    nmsg(
        "💬 Ask your question with `/ask` in {channel}. {count} approved question waiting.",
        "💬 Ask your question with `/ask` in {channel}. {count} approved questions waiting.",
        0,
    ),
    # reminder_message ({votes}: "{count} vote(s)" above)
    msg("⏰ **{title}** starts {relative} ({time})."),
    msg("Queue: {pending} pending · {approved} approved."),
    msg("No approved question yet."),
    msg("Top question: #{number} ({votes}): {text}"),
    # intake_open_message, intake_close_message
    msg("✅ **Questions are open.** Ask with `/ask` in {channel}."),
    msg(
        "✅ **Questions are open.** Ask with `/ask` in {channel}. Intake closes at {time} "
        "({relative})."
    ),
    msg("🔒 **Questions are closed.** Thank you for your questions!"),
    # summary_message
    msg("📋 **Q&A summary**, intake closed on schedule at {time}:"),
    msg(
        "Asked: {asked} · Approved: {approved} · Answered: {answered} · Still unanswered: "
        "{unanswered} · Pending (never moderated): {pending}"
    ),
    msg("Intake is still open: a moderator opened it by hand. `/qa close` closes it."),
    # program_message
    msg("The program is running {minutes} min late."),
    msg("The program is running {minutes} min early."),
    msg("This session has no program: moderators open and close questions by hand."),
    msg("▶️ **{span}** ← now"),
    msg("The program is over."),
    # status_message ({minutes}: signed, "+5")
    msg("🗓 **Schedule of {title}**"),
    msg("Delay: {minutes} min of program time."),
    msg("Delay: none, on time."),
    msg("Questions: open (opened by hand)."),
    msg("Questions: open (by schedule)."),
    msg("Questions: closed (closed by hand)."),
    msg("Questions: closed (by schedule)."),
    msg("Nothing left to post."),
    msg("Next posts:"),
    pmsg("a post due", "now"),
    msg("… and {count} more."),
    msg("Failed to post: {posts}."),
    # delay_message
    nmsg(
        "⏱ **The program is running {count} minute later.**",
        "⏱ **The program is running {count} minutes later.**",
        0,
    ),
    nmsg(
        "⏩ **The program moves {count} minute earlier.**",
        "⏩ **The program moves {count} minutes earlier.**",
        0,
    ),
    msg("New times:"),
    # delay_reply ({minutes} signed; {total}: "+5 min" or "+30 s", the durations of
    # bot/reports/view.py; {done}: the first sentence)
    nmsg(
        "Delay of {minutes} min applied to {count} segment not yet started (total delay {total})",
        "Delay of {minutes} min applied to {count} segments not yet started (total delay {total})",
        0,
    ),
    msg("{done}; announced in the live channel."),
    msg(
        "{done}. The announcement could not be posted in the live channel ({error}); the new "
        "times are in /program. Do not apply the delay again."
    ),
    # ------------------------------------------------ cogs/schedule.py, cogs/posting.py
    # _announce, NOT_FOUND (said in place of a Discord error)
    msg("channel not found"),
)
