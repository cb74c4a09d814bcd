-- The whole log of every session: runs, questions, their audit trail, votes, program posts.
-- Times are UTC text "YYYY-MM-DDTHH:MM:SS.ffffffZ" (fixed width, so they sort by time).
-- Discord ids (users, messages) are INTEGER.

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,            -- the session file's id
    title       TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    spec        TEXT NOT NULL,               -- the validated session file as JSON, for reports
    first_seen  TEXT NOT NULL
);

-- A run is one playing of a session: the real one, or a rehearsal. Questions and posts belong
-- to a run, so a rehearsal's log is never mixed with the real session's.
CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    session_id      TEXT NOT NULL REFERENCES sessions(id),
    kind            TEXT NOT NULL CHECK (kind IN ('real', 'rehearsal')),
    created_at      TEXT NOT NULL,
    anchor_at       TEXT,                    -- rehearsal: when the first segment started
    speed           REAL NOT NULL DEFAULT 1, -- rehearsal: how many times faster than real
    delay_seconds   INTEGER NOT NULL DEFAULT 0, -- program delay, in session seconds
    intake_override TEXT CHECK (intake_override IN ('open', 'closed')), -- NULL: follow the schedule
    ended_at        TEXT                     -- set when a rehearsal has played to its end
);
CREATE UNIQUE INDEX runs_one_real ON runs(session_id) WHERE kind = 'real';

CREATE TABLE questions (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES runs(id),
    number          INTEGER NOT NULL,        -- #N, from 1 in each run
    author_id       INTEGER NOT NULL,        -- kept for limits, /myquestions and blocking only
    author_name     TEXT,                    -- display name; NULL when anonymous
    anonymous       INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
    text            TEXT NOT NULL,
    speaker_id      TEXT,                    -- a speaker id of the session file
    label_id        TEXT,                    -- a label id of the session file
    state           TEXT NOT NULL CHECK (state IN (
                        'pending', 'approved', 'rejected', 'withdrawn',
                        'live', 'answered', 'dismissed', 'merged')),
    source          TEXT NOT NULL DEFAULT 'slash' CHECK (source IN ('slash', 'chat')),
    asked_at        TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    answered_at     TEXT,
    merged_into     INTEGER REFERENCES questions(id),
    votes           INTEGER NOT NULL DEFAULT 0, -- kept equal to the rows in votes
    source_message_id INTEGER,               -- the chat message it came from
    card_message_id   INTEGER,               -- the moderation card
    vote_message_id   INTEGER,               -- the public message with the vote button
    UNIQUE (run_id, number)
);
CREATE INDEX questions_rank ON questions(run_id, state, votes DESC, asked_at);
CREATE INDEX questions_author ON questions(run_id, author_id, asked_at);

-- Every change of every question: who did what, when and why.
CREATE TABLE question_events (
    id          INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES questions(id),
    action      TEXT NOT NULL,               -- asked, approved, rejected, edited, merged, ...
    actor_id    INTEGER,                     -- NULL: the bot itself (schedule, system)
    actor_name  TEXT,                        -- display name then; NULL for an anonymous asker
    at          TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT,
    reason      TEXT,
    detail      TEXT                         -- JSON: e.g. the text before an edit
);
CREATE INDEX question_events_question ON question_events(question_id, id);
CREATE INDEX question_events_at ON question_events(at);

CREATE TABLE votes (
    question_id INTEGER NOT NULL REFERENCES questions(id),
    voter_id    INTEGER NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (question_id, voter_id)
) WITHOUT ROWID;

-- People who asked the same thing: a merged duplicate's asker joins the kept question.
CREATE TABLE co_askers (
    question_id      INTEGER NOT NULL REFERENCES questions(id),
    user_id          INTEGER NOT NULL,
    anonymous        INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
    from_question_id INTEGER NOT NULL REFERENCES questions(id),
    PRIMARY KEY (question_id, from_question_id)
);

CREATE TABLE blocks (
    session_id  TEXT NOT NULL REFERENCES sessions(id),
    user_id     INTEGER NOT NULL,
    blocked_by  INTEGER,
    at          TEXT NOT NULL,
    reason      TEXT,
    PRIMARY KEY (session_id, user_id)
);

-- Session-level events that are not about one question: intake opened/closed, delays, skips.
CREATE TABLE run_events (
    id       INTEGER PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    action   TEXT NOT NULL,
    actor_id INTEGER,
    at       TEXT NOT NULL,
    detail   TEXT
);

-- Every program post, claimed before it is sent and completed after: never posted twice.
CREATE TABLE posts (
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    key         TEXT NOT NULL,               -- e.g. "segment:talk-1", "reminder:qa", "intake:close"
    due_at      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('claimed', 'posted', 'skipped', 'failed')),
    late        INTEGER NOT NULL DEFAULT 0,
    claimed_at  TEXT NOT NULL,
    posted_at   TEXT,
    message_id  INTEGER,
    channel_id  INTEGER,
    detail      TEXT,
    PRIMARY KEY (run_id, key)
);

-- Small facts the bot keeps about itself, e.g. the fingerprint of the last command sync.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- How many questions of each run are in each state, kept by triggers, so the moderators' queue
-- view reads a handful of rows instead of counting every question.
CREATE TABLE question_counts (
    run_id  INTEGER NOT NULL,
    state   TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (run_id, state)
) WITHOUT ROWID;

CREATE TRIGGER question_counts_insert AFTER INSERT ON questions
BEGIN
    INSERT INTO question_counts (run_id, state, n) VALUES (NEW.run_id, NEW.state, 1)
        ON CONFLICT (run_id, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER question_counts_update AFTER UPDATE OF state ON questions
WHEN OLD.state <> NEW.state
BEGIN
    UPDATE question_counts SET n = n - 1 WHERE run_id = OLD.run_id AND state = OLD.state;
    INSERT INTO question_counts (run_id, state, n) VALUES (NEW.run_id, NEW.state, 1)
        ON CONFLICT (run_id, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER question_counts_delete AFTER DELETE ON questions
BEGIN
    UPDATE question_counts SET n = n - 1 WHERE run_id = OLD.run_id AND state = OLD.state;
END;
