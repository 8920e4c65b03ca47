package sqlite

import (
	"context"
	"fmt"
)

// migration is one schema change. Versions start at 1 and increase by one;
// a migration, once released, is never edited: change the schema by
// appending a new one.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations is the schema history, oldest first.
var migrations = []migration{
	{
		version: 1,
		name:    "papers, chunks and summaries",
		sql: `
CREATE TABLE papers (
	id           TEXT NOT NULL PRIMARY KEY,
	json         TEXT NOT NULL,
	title        TEXT NOT NULL,
	journal      TEXT NOT NULL DEFAULT '',
	year         INTEGER NOT NULL DEFAULT 0,
	doi          TEXT NOT NULL DEFAULT '',
	ref_count    INTEGER NOT NULL DEFAULT 0,
	embedder     TEXT NOT NULL DEFAULT '',
	content_hash TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL
) STRICT;

CREATE TABLE chunks (
	paper_id TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
	seq      INTEGER NOT NULL,
	id       TEXT NOT NULL,
	kind     TEXT NOT NULL,
	n        INTEGER NOT NULL DEFAULT 0,
	lang     TEXT NOT NULL DEFAULT '',
	text     TEXT NOT NULL,
	vector   BLOB NOT NULL, -- little-endian float32s
	PRIMARY KEY (paper_id, seq)
) STRICT;

CREATE TABLE summaries (
	paper_id       TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
	lang           TEXT NOT NULL,
	model          TEXT NOT NULL DEFAULT '',
	prompt_version TEXT NOT NULL DEFAULT '',
	json           TEXT NOT NULL,
	created_at     TEXT NOT NULL,
	PRIMARY KEY (paper_id, lang, model, prompt_version)
) STRICT;
`,
	},
	{
		version: 2,
		name:    "chat sessions",
		sql: `
CREATE TABLE sessions (
	id         TEXT NOT NULL PRIMARY KEY,
	paper_id   TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
	json       TEXT NOT NULL,
	updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_paper ON sessions (paper_id);
`,
	},
	{
		version: 3,
		name:    "session turns appended one row each",
		sql: `
ALTER TABLE sessions ADD COLUMN turn_seq INTEGER NOT NULL DEFAULT 0;
CREATE TABLE session_turns (
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL,
	json       TEXT NOT NULL,
	PRIMARY KEY (session_id, seq)
) STRICT;
INSERT INTO session_turns (session_id, seq, json)
	SELECT s.id, t.key + 1, t.value FROM sessions s, json_each(s.json, '$.turns') t
	WHERE json_type(s.json, '$.turns') = 'array';
UPDATE sessions SET turn_seq = coalesce((SELECT max(seq) FROM session_turns WHERE session_id = sessions.id), 0);
`,
	},
	{
		version: 4,
		name:    "questions report",
		// No foreign key to papers: the history of a deleted or
		// re-ingested paper is kept until retention prunes it.
		sql: `
CREATE TABLE questions (
	id         TEXT NOT NULL PRIMARY KEY,
	paper_id   TEXT NOT NULL,
	question   TEXT NOT NULL,
	lang       TEXT NOT NULL DEFAULT '',
	mode       TEXT NOT NULL DEFAULT '',
	answerable INTEGER NOT NULL DEFAULT 0,
	rating     INTEGER NOT NULL DEFAULT 0,
	note       TEXT NOT NULL DEFAULT '',
	asked_at   TEXT NOT NULL
) STRICT;
CREATE INDEX questions_paper_asked ON questions (paper_id, asked_at);
CREATE INDEX questions_asked ON questions (asked_at);
`,
	},
	{
		version: 5,
		name:    "chunk terms in the lexical index's stored form",
		// NULL for chunks stored before: their loads tokenize the text.
		sql: `ALTER TABLE chunks ADD COLUMN terms BLOB;`,
	},
	{
		version: 6,
		name:    "cited works and reference links",
		sql: `
CREATE TABLE cited_works (
	doi        TEXT NOT NULL PRIMARY KEY,
	json       TEXT NOT NULL,
	status     TEXT NOT NULL DEFAULT '',
	fetched_at TEXT NOT NULL
) STRICT;

CREATE TABLE reference_links (
	paper_id   TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
	n          INTEGER NOT NULL,
	ref_key    TEXT NOT NULL,
	doi        TEXT NOT NULL DEFAULT '',
	match      TEXT NOT NULL,
	score      REAL NOT NULL DEFAULT 0,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (paper_id, n)
) STRICT;
CREATE INDEX reference_links_doi ON reference_links (doi);

-- Counts ReplaceChunks calls, so a paper's version changes when
-- enrichment adds chunks without changing its content hash.
ALTER TABLE papers ADD COLUMN chunks_gen INTEGER NOT NULL DEFAULT 0;
`,
	},
	{
		version: 7,
		name:    "catalogue terms in the catalogue index's stored form",
		// Empty for papers stored before: the first catalogue build
		// analyses them and stores their terms.
		sql: `
CREATE TABLE catalogue_terms (
	paper_id     TEXT NOT NULL PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
	content_hash TEXT NOT NULL, -- of the paper the terms were made from
	-- What a search hit shows, copied from that paper, so a build reads
	-- this table and the index below, never the papers' large rows.
	title        TEXT NOT NULL DEFAULT '',
	title_zh     TEXT NOT NULL DEFAULT '',
	journal      TEXT NOT NULL DEFAULT '',
	doi          TEXT NOT NULL DEFAULT '',
	year         INTEGER NOT NULL DEFAULT 0,
	terms        BLOB NOT NULL
) STRICT;
CREATE INDEX papers_content_hash ON papers (id, content_hash);
`,
	},
	{
		version: 8,
		name:    "paper versions read from an index",
		// A paper's row holds its JSON before content_hash and
		// chunks_gen, so reading them from the row walks its overflow
		// pages. This index covers the version and hash queries and the
		// catalogue's join, so it replaces papers_content_hash. Queries
		// name it (INDEXED BY): the planner prefers the primary key.
		sql: `
CREATE INDEX papers_version ON papers (id, content_hash, chunks_gen);
DROP INDEX papers_content_hash;
`,
	},
}

// migrate applies, in one transaction, every migration newer than the
// latest recorded in schema_migrations, recording each. It fails without
// changing anything if the database records a version this binary does
// not know.
func (s *Store) migrate(ctx context.Context) error {
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer s.unlockWrite()
	if err := applyMigrations(ctx, s, migrations); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

func applyMigrations(ctx context.Context, s *Store, ms []migration) error {
	// BEGIN IMMEDIATE (from the DSN's _txlock) makes concurrent opens of
	// the same database migrate one after the other.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit

	if _, err := tx.ExecContext(ctx, `
		CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER NOT NULL PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TEXT NOT NULL
		) STRICT`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	if current > latest {
		return fmt.Errorf("database schema version %d is newer than this program supports (%d)", current, latest)
	}
	for i, m := range ms {
		if m.version != i+1 {
			return fmt.Errorf("migration %q has version %d, want %d", m.name, m.version, i+1)
		}
		if m.version <= current {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("apply migration %d (%s): %w", m.version, m.name, err)
		}
		if _, err := tx.ExecContext(ctx,
			"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			m.version, m.name, now()); err != nil {
			return fmt.Errorf("record migration %d: %w", m.version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
