-- Urgings of overdue recommendations: as a designated case's urgings, to
-- the recommendation's addressee agency (empty when the organisation
-- itself is addressed), with a requested deadline and the reply.
CREATE TABLE recommendation_urgings (
    id                 TEXT PRIMARY KEY,
    recommendation_id  TEXT NOT NULL REFERENCES recommendations (id),
    agency_id          TEXT NOT NULL,
    directive_id       TEXT NOT NULL,
    content            TEXT   NOT NULL,
    urge_date          TEXT NOT NULL,
    requested_deadline TEXT NOT NULL,
    reply              TEXT   NOT NULL,
    reply_date         TEXT,
    create_micros      BIGINT NOT NULL
);
CREATE INDEX recommendation_urgings_by_parent ON recommendation_urgings (recommendation_id, id);
