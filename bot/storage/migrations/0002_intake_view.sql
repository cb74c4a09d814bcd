-- Intake writes a question and its "asked" event in one statement: a row inserted into this
-- view becomes both. One statement applies whole or not at all, so a batch of asks needs no
-- savepoint.

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
