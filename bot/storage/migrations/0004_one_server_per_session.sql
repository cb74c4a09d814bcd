-- One session, one server: each run records the Discord server (guild) it is pinned to, so a
-- pin made at the first start holds across restarts.
ALTER TABLE runs ADD COLUMN guild_id INTEGER;   -- NULL: not pinned yet

-- Blocks, again, so that no answer depends on who an anonymous asker is. A block is made either
-- by /qa block on a member (question_id NULL: moderators know who it is) or by "Block author" on
-- one question's card (question_id set; anonymous when that question was). Each is lifted only
-- the way it was made, and a member's own block never tells about the others.
CREATE TABLE blocks_by_source (
    id          INTEGER PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions(id),
    user_id     INTEGER NOT NULL,
    blocked_by  INTEGER,
    at          TEXT NOT NULL,
    reason      TEXT,
    question_id INTEGER REFERENCES questions(id),   -- NULL: blocked by /qa block on the member
    anonymous   INTEGER NOT NULL DEFAULT 0 CHECK (anonymous IN (0, 1))
);
-- A block made from a card was logged with the reason "author of #N": it keeps its question.
INSERT INTO blocks_by_source (session_id, user_id, blocked_by, at, reason, question_id)
    SELECT b.session_id, b.user_id, b.blocked_by, b.at, b.reason,
           CASE WHEN b.reason LIKE 'author of #%' THEN (
               SELECT q.id FROM questions q JOIN runs r ON r.id = q.run_id
               WHERE r.session_id = b.session_id AND q.author_id = b.user_id
                 AND q.number = CAST(substr(b.reason, 12) AS INTEGER)
               ORDER BY q.id DESC LIMIT 1) END
    FROM blocks b;
UPDATE blocks_by_source SET anonymous = (SELECT q.anonymous FROM questions q WHERE q.id = question_id)
    WHERE question_id IS NOT NULL;
DROP TABLE blocks;
ALTER TABLE blocks_by_source RENAME TO blocks;
CREATE UNIQUE INDEX blocks_member ON blocks(session_id, user_id) WHERE question_id IS NULL;
CREATE UNIQUE INDEX blocks_card ON blocks(session_id, question_id) WHERE question_id IS NOT NULL;
CREATE INDEX blocks_user ON blocks(session_id, user_id);

-- Messages Discord refuses for good (400 Invalid Form Body) are marked, with Discord's reason,
-- so they never hold back the messages behind them; the live announcement's message is
-- recorded like the card and vote message, so a failed one is posted again after a restart.
ALTER TABLE questions ADD COLUMN card_error TEXT;
ALTER TABLE questions ADD COLUMN vote_error TEXT;
ALTER TABLE questions ADD COLUMN live_message_id INTEGER;
-- a question live before this upgrade was announced already (its message was not recorded)
UPDATE questions SET live_message_id = 0 WHERE state = 'live';
