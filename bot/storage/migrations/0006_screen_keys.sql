-- The presenter screen: one secret key per session. The screen's address carries it, and the
-- screen answers only requests that hold it; a session gets its key the first time one is asked
-- for. Not every session in here has run yet, so the session id is not a reference.

CREATE TABLE session_screen (
    session_id  TEXT PRIMARY KEY,
    key         TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
