-- Each time a session's log was anonymized ("forget"): participants' Discord ids and names were
-- replaced by pseudonyms "participant N" (ids by -N). Reports say so; the next pass numbers its
-- participants after the last number used here, so a pseudonym never names two people.

CREATE TABLE anonymizations (
    id           INTEGER PRIMARY KEY,
    session_id   TEXT NOT NULL REFERENCES sessions(id),
    at           TEXT NOT NULL,              -- when it was done
    before       TEXT,                       -- only what was asked before this; NULL: all of it
    participants INTEGER NOT NULL,           -- people given a pseudonym in this pass
    first_number INTEGER,                    -- their pseudonyms: first_number..last_number
    last_number  INTEGER
);
CREATE INDEX anonymizations_session ON anonymizations(session_id, id);
