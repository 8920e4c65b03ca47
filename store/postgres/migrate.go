package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// migration is one schema change. Versions start at 1 and increase by one;
// a released migration is never edited: change the schema by appending.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations is the schema history, oldest first. Ids are COLLATE "C" so
// listings order by bytes, as the embedded store does, whatever the
// database's locale.
var migrations = []migration{
	{
		version: 1,
		name:    "papers, chunks, summaries and sessions",
		sql: `
CREATE TABLE papers (
	id           text COLLATE "C" NOT NULL PRIMARY KEY,
	json         text NOT NULL,
	title        text NOT NULL,
	journal      text NOT NULL DEFAULT '',
	year         integer NOT NULL DEFAULT 0,
	doi          text NOT NULL DEFAULT '',
	ref_count    integer NOT NULL DEFAULT 0,
	embedder     text NOT NULL DEFAULT '',
	content_hash text NOT NULL,
	created_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL
);

CREATE TABLE chunks (
	paper_id text COLLATE "C" NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
	seq      integer NOT NULL,
	id       text NOT NULL,
	kind     text NOT NULL,
	n        integer NOT NULL DEFAULT 0,
	lang     text NOT NULL DEFAULT '',
	text     text NOT NULL,
	vector   bytea NOT NULL, -- little-endian float32s
	PRIMARY KEY (paper_id, seq)
);

CREATE TABLE summaries (
	paper_id       text COLLATE "C" NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
	lang           text NOT NULL,
	model          text NOT NULL DEFAULT '',
	prompt_version text NOT NULL DEFAULT '',
	json           text NOT NULL,
	created_at     timestamptz NOT NULL,
	PRIMARY KEY (paper_id, lang, model, prompt_version)
);

CREATE TABLE sessions (
	id         text NOT NULL PRIMARY KEY,
	paper_id   text COLLATE "C" NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
	json       text NOT NULL,
	updated_at timestamptz NOT NULL
);
CREATE INDEX sessions_paper ON sessions (paper_id);
`,
	},
	{
		version: 2,
		name:    "session turns appended one row each",
		sql: `
ALTER TABLE sessions ADD COLUMN turn_seq integer NOT NULL DEFAULT 0;
CREATE TABLE session_turns (
	session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	seq        integer NOT NULL,
	json       text NOT NULL,
	PRIMARY KEY (session_id, seq)
);
INSERT INTO session_turns (session_id, seq, json)
	SELECT s.id, t.ord, t.turn::text
	FROM sessions s, jsonb_array_elements(CASE WHEN jsonb_typeof(s.json::jsonb -> 'turns') = 'array'
		THEN s.json::jsonb -> 'turns' ELSE '[]'::jsonb END) WITH ORDINALITY AS t(turn, ord);
UPDATE sessions SET turn_seq = coalesce((SELECT max(seq) FROM session_turns WHERE session_id = sessions.id), 0);
`,
	},
	{
		version: 3,
		name:    "questions report",
		// No foreign key to papers: the history of a deleted or
		// re-ingested paper is kept until retention prunes it.
		sql: `
CREATE TABLE questions (
	id         text NOT NULL PRIMARY KEY,
	paper_id   text COLLATE "C" NOT NULL,
	question   text NOT NULL,
	lang       text NOT NULL DEFAULT '',
	mode       text NOT NULL DEFAULT '',
	answerable boolean NOT NULL DEFAULT false,
	rating     smallint NOT NULL DEFAULT 0,
	note       text NOT NULL DEFAULT '',
	asked_at   timestamptz NOT NULL
);
CREATE INDEX questions_paper_asked ON questions (paper_id, asked_at);
CREATE INDEX questions_asked ON questions (asked_at);
`,
	},
	{
		version: 4,
		name:    "chunk terms in the lexical index's stored form",
		// NULL for chunks stored before: their loads tokenize the text.
		sql: `ALTER TABLE chunks ADD COLUMN terms bytea;`,
	},
	{
		version: 5,
		name:    "cited works and reference links",
		sql: `
CREATE TABLE cited_works (
	doi        text COLLATE "C" NOT NULL PRIMARY KEY,
	json       text NOT NULL,
	status     text NOT NULL DEFAULT '',
	fetched_at timestamptz NOT NULL
);

CREATE TABLE reference_links (
	paper_id   text COLLATE "C" NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
	n          integer NOT NULL,
	ref_key    text NOT NULL,
	doi        text COLLATE "C" NOT NULL DEFAULT '',
	match      text NOT NULL,
	score      double precision NOT NULL DEFAULT 0,
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (paper_id, n)
);
CREATE INDEX reference_links_doi ON reference_links (doi);

-- Counts ReplaceChunks calls, so a paper's version changes when
-- enrichment adds chunks without changing its content hash.
ALTER TABLE papers ADD COLUMN chunks_gen integer NOT NULL DEFAULT 0;
`,
	},
	{
		version: 6,
		name:    "catalogue terms in the catalogue index's stored form",
		// Empty for papers stored before: the first catalogue build
		// analyses them and stores their terms.
		sql: `
CREATE TABLE catalogue_terms (
	paper_id     text COLLATE "C" NOT NULL PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
	content_hash text NOT NULL, -- of the paper the terms were made from
	title_zh     text NOT NULL DEFAULT '',
	terms        bytea NOT NULL
);
`,
	},
}

// migrateLockID is the advisory lock that serialises migrations of
// replicas starting together.
const migrateLockID int64 = 0x63686174_6d696772 // "chatmigr"

// migrate applies every migration newer than the latest recorded in
// schema_migrations, in one transaction, under a session advisory lock so
// concurrent starts apply each migration once. It fails without changing
// anything if the database records a version this binary does not know.
func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockID); err != nil {
		conn.Conn().Close(context.Background()) // a lock request may be pending
		return fmt.Errorf("migrate: lock: %w", ctxErr(ctx, err))
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockID); err != nil {
			conn.Conn().Close(context.Background()) // ending the session frees the lock
		}
	}()
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			CREATE TABLE IF NOT EXISTS schema_migrations (
				version    integer NOT NULL PRIMARY KEY,
				name       text NOT NULL,
				applied_at timestamptz NOT NULL DEFAULT now()
			)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		latest := migrations[len(migrations)-1].version
		if current > latest {
			return fmt.Errorf("database schema version %d is newer than this program supports (%d)", current, latest)
		}
		for i, m := range migrations {
			if m.version != i+1 {
				return fmt.Errorf("migration %q has version %d, want %d", m.name, m.version, i+1)
			}
			if m.version <= current {
				continue
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("apply migration %d (%s): %w", m.version, m.name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
				return fmt.Errorf("record migration %d: %w", m.version, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", ctxErr(ctx, err))
	}
	return nil
}
