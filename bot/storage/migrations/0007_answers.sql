-- Answers that reach the asker: written answers, notices (an outbox), who wants them, and the
-- threads and forum posts answers live in.

-- An answer written by a moderator or a speaker: with /qa reply (or a card's button) during the
-- session ("written"), or in the question's follow-up forum post afterwards ("followup"). A
-- private answer is for the asker only: it is sent to them as a notice and never posted.
CREATE TABLE answers (
    id           INTEGER PRIMARY KEY,
    question_id  INTEGER NOT NULL REFERENCES questions(id),
    author_id    INTEGER NOT NULL,           -- who answered (staff: never anonymous)
    author_name  TEXT,                       -- their display name then
    role         TEXT NOT NULL CHECK (role IN ('moderator', 'speaker')),
    speaker_id   TEXT,                       -- the session file's speaker they answered as
    text         TEXT NOT NULL,
    private      INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1)),
    source       TEXT NOT NULL DEFAULT 'written' CHECK (source IN ('written', 'followup')),
    created_at   TEXT NOT NULL,
    thread_id    INTEGER,                    -- where it is posted: the thread or forum post
    message_id   INTEGER,                    -- its message there; NULL until posted (private: never)
    CHECK (private = 0 OR (thread_id IS NULL AND message_id IS NULL))
);
CREATE INDEX answers_question ON answers(question_id, id);
CREATE UNIQUE INDEX answers_message ON answers(message_id) WHERE message_id IS NOT NULL;
CREATE INDEX answers_unposted ON answers(id) WHERE message_id IS NULL AND private = 0;

-- The thread on a question's public message where written answers go ("answers", created when
-- the first is posted), and the forum post a question unanswered at the end becomes
-- ("followup"). Claimed before Discord is asked, so a restart never makes a second one.
CREATE TABLE question_threads (
    question_id  INTEGER NOT NULL REFERENCES questions(id),
    kind         TEXT NOT NULL CHECK (kind IN ('answers', 'followup')),
    status       TEXT NOT NULL CHECK (status IN ('claimed', 'posted', 'failed')),
    thread_id    INTEGER UNIQUE,             -- NULL until Discord made it
    claimed_at   TEXT NOT NULL,
    posted_at    TEXT,
    first_answer_at TEXT,                    -- followup: when the first answer arrived
    error        TEXT,
    PRIMARY KEY (question_id, kind)
) WITHOUT ROWID;

-- The announcement of a question put on screen, so a notice can link to it.
CREATE TABLE live_posts (
    question_id  INTEGER NOT NULL REFERENCES questions(id),
    channel_id   INTEGER NOT NULL,
    message_id   INTEGER NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (question_id, message_id)
) WITHOUT ROWID;

-- Who wants a direct message about what happens to a question.
-- Per session and member (/notify on|off): about their own questions, and about the questions
-- they voted for when those get a follow-up answer.
CREATE TABLE notify_prefs (
    session_id   TEXT NOT NULL,
    user_id      INTEGER NOT NULL,
    own          INTEGER NOT NULL CHECK (own IN (0, 1)),
    voted        INTEGER NOT NULL DEFAULT 0 CHECK (voted IN (0, 1)),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (session_id, user_id)
) WITHOUT ROWID;

-- Per question and member: the asker's choice at /ask, or a member following a question
-- ("tell me when it is answered"). It wins over the session-wide choice.
CREATE TABLE question_notify (
    question_id  INTEGER NOT NULL REFERENCES questions(id),
    user_id      INTEGER NOT NULL,
    wanted       INTEGER NOT NULL CHECK (wanted IN (0, 1)),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (question_id, user_id)
) WITHOUT ROWID;

-- The outbox: one row per notice to send, made after the change it reports was committed, from
-- that change's event. (event, recipient) is unique, so a notice is never queued twice, across
-- restarts too. Sending claims the row first ('sending'); a row found 'sending' at start may
-- have been sent and is not sent again ('fallback': the member sees it in /myquestions).
CREATE TABLE notices (
    id           INTEGER PRIMARY KEY,
    question_id  INTEGER NOT NULL REFERENCES questions(id),
    event_id     INTEGER NOT NULL REFERENCES question_events(id),
    recipient_id INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN (
                     'approved', 'rejected', 'merged', 'live', 'answered', 'followup')),
    detail       TEXT,                       -- JSON: reason, into (#M), answer (its id), private
    created_at   TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN (
                     'pending', 'sending', 'sent', 'failed', 'fallback')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TEXT,
    sent_at      TEXT,
    error        TEXT,
    UNIQUE (event_id, recipient_id)
);
CREATE INDEX notices_due ON notices(status, id) WHERE status IN ('pending', 'failed', 'sending');
CREATE INDEX notices_recipient ON notices(recipient_id, question_id);

-- How far the outbox has read the question events: events after it are still to be turned into
-- notices. It starts at the last event already logged, so upgrading sends nothing about the past.
CREATE TABLE notice_cursor (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    last_event_id  INTEGER NOT NULL
);
INSERT INTO notice_cursor (id, last_event_id)
    SELECT 1, COALESCE(MAX(id), 0) FROM question_events;
