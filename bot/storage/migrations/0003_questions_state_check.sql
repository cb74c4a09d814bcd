-- The questions table again, with its state CHECK written as comparisons instead of an IN list.
-- SQLite evaluates an IN list of eight strings in a CHECK by building a small lookup table
-- for every row it writes; that doubled the cost of storing a question. The states allowed
-- are the same. SQLite cannot change a CHECK in place, so the table is rebuilt as its manual
-- describes (the runner turns foreign keys off around this migration and checks them before
-- it commits); its indexes, triggers and the intake view are made again, unchanged.

CREATE TABLE questions_rebuilt (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES runs(id),
    number          INTEGER NOT NULL,        -- #N, from 1 in each run
    author_id       INTEGER NOT NULL,        -- kept for limits, /myquestions and blocking only
    author_name     TEXT,                    -- display name; NULL when anonymous
    anonymous       INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
    text            TEXT NOT NULL,
    speaker_id      TEXT,                    -- a speaker id of the session file
    label_id        TEXT,                    -- a label id of the session file
    state           TEXT NOT NULL CHECK (
                        state = 'pending' OR state = 'approved' OR state = 'rejected'
                        OR state = 'withdrawn' OR state = 'live' OR state = 'answered'
                        OR state = 'dismissed' OR state = 'merged'),
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

INSERT INTO questions_rebuilt
SELECT id, run_id, number, author_id, author_name, anonymous, text, speaker_id, label_id, state,
       source, asked_at, updated_at, answered_at, merged_into, votes, source_message_id,
       card_message_id, vote_message_id
FROM questions;

DROP VIEW intake;        -- and its trigger
DROP TABLE questions;    -- and its indexes and triggers
ALTER TABLE questions_rebuilt RENAME TO questions;

CREATE INDEX questions_rank ON questions(run_id, state, votes DESC, asked_at);
CREATE INDEX questions_author ON questions(run_id, author_id, asked_at);

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

CREATE VIEW intake AS
SELECT id, run_id, number, author_id, author_name, anonymous, text, speaker_id, state, source,
       asked_at, source_message_id
FROM questions;

CREATE TRIGGER intake_insert INSTEAD OF INSERT ON intake
BEGIN
    INSERT INTO questions (id, run_id, number, author_id, author_name, anonymous, text,
                           speaker_id, state, source, asked_at, updated_at, source_message_id)
    VALUES (NEW.id, NEW.run_id, NEW.number, NEW.author_id, NEW.author_name, NEW.anonymous,
            NEW.text, NEW.speaker_id, NEW.state, NEW.source, NEW.asked_at, NEW.asked_at,
            NEW.source_message_id);
    -- an anonymous asker is not named in the log either
    INSERT INTO question_events (question_id, action, actor_id, actor_name, at, to_state, detail)
    VALUES (NEW.id, 'asked',
            CASE WHEN NEW.anonymous THEN NULL ELSE NEW.author_id END,
            CASE WHEN NEW.anonymous THEN NULL ELSE NEW.author_name END,
            NEW.asked_at, NEW.state,
            CASE WHEN NEW.anonymous THEN '{"actor": "asker"}' END);
END;
