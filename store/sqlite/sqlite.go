// Package sqlite is the embedded store.Store: one SQLite database file,
// dir/chatpaper.db, accessed through the pure-Go modernc.org/sqlite driver.
//
// The database runs in WAL mode with synchronous=FULL, so a write that has
// returned nil survives the process being killed (and power loss, as far as
// the file system honours fsync). Readers run concurrently; writers are
// serialised in process and, across processes, by SQLite's write lock taken
// at BEGIN IMMEDIATE and waited for under busy_timeout.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
)

// FileName is the name of the database file Open uses inside its directory.
const FileName = "chatpaper.db"

// busyTimeout is how long a connection waits for another process's write
// lock before failing with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

var _ store.Store = (*Store)(nil)

// Store is a store.Store kept in a SQLite database. It is safe for
// concurrent use. Create it with Open and release it with Close.
type Store struct {
	db *sql.DB
	// writeSem serialises write transactions within this process so
	// writers queue in Go instead of polling SQLite's lock under
	// busy_timeout; it holds one token while a write runs.
	writeSem chan struct{}

	// summaryLocks serialise summary generation per key. SQLite serves
	// one process, so an in-process lock is the lock every user of the
	// store shares; holding a database write lock during a model call
	// instead would block every ingest.
	summaryMu    sync.Mutex
	summaryLocks map[store.SummaryKey]chan struct{}

	// questionsNext is the group of question records the next write
	// will commit (RecordQuestion), nil when none waits.
	questionsMu   sync.Mutex
	questionsNext *questionGroup

	// Statements of the hot reads, prepared once: preparing one costs
	// more than running it. A cold load runs versionLinksStmt, a
	// revalidation versionStmt.
	versionStmt, linksStmt, versionLinksStmt *sql.Stmt
}

// Queries of the prepared statements, and of PaperHash. The version and
// hash queries name the covering index papers_version: SQLite's planner
// would take the primary key and read the columns from the paper's row,
// after its large JSON, walking the row's overflow pages; INDEXED BY
// also makes a missing index an error at prepare, not a slow query.
const (
	versionQuery = `SELECT content_hash, chunks_gen FROM papers INDEXED BY papers_version WHERE id = ?`
	hashQuery    = `SELECT content_hash FROM papers INDEXED BY papers_version WHERE id = ?`
	linksQuery   = `
		SELECT l.n, l.ref_key, l.doi, l.match, l.score, w.json
		FROM reference_links l LEFT JOIN cited_works w ON w.doi = l.doi AND l.doi <> ''
		WHERE l.paper_id = ? ORDER BY l.n`
	// versionLinksQuery is the version query and the links query in one
	// statement, so one read transaction: the paper's row (of the
	// covering index, as versionQuery reads it) with NULL link columns,
	// then one row per link with NULL version columns; no row for a
	// missing paper. Joining the links to the paper instead would repeat
	// its version on every link's row, and the driver's cost is per
	// column read (calls into the translated C library for its type,
	// then for a value other than NULL its value, bytes and a copy). No
	// ORDER BY: a compound's would sort the result in a temporary
	// b-tree, so the caller tells the rows apart by their NULLs and
	// orders the links itself.
	versionLinksQuery = `
		SELECT content_hash, chunks_gen, NULL, NULL, NULL, NULL, NULL, NULL
		FROM papers INDEXED BY papers_version WHERE id = ?1
		UNION ALL
		SELECT NULL, NULL, l.n, l.ref_key, l.doi, l.match, l.score, w.json
		FROM reference_links l LEFT JOIN cited_works w ON w.doi = l.doi AND l.doi <> ''
		WHERE l.paper_id = ?1`
)

// prepare prepares the statements of s.
func (s *Store) prepare(ctx context.Context) error {
	var err error
	if s.versionStmt, err = s.db.PrepareContext(ctx, versionQuery); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	if s.linksStmt, err = s.db.PrepareContext(ctx, linksQuery); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	if s.versionLinksStmt, err = s.db.PrepareContext(ctx, versionLinksQuery); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	return nil
}

// Open opens the database dir/chatpaper.db, creating dir and the file if
// they do not exist, and brings its schema up to date by applying, in one
// transaction, every migration not yet recorded in schema_migrations. It
// fails if the database was written by a newer version with migrations
// this binary does not know, or if SQLite cannot put it in WAL mode.
func Open(ctx context.Context, dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("sqlite: open: empty directory name")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: open: create directory: %w", err)
	}
	path, err := filepath.Abs(filepath.Join(dir, FileName))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// WAL lets readers proceed alongside the single writer, so allow a
	// few connections; writes take only one of them at a time.
	conns := max(4, runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)

	s := &Store{db: db, writeSem: make(chan struct{}, 1), summaryLocks: make(map[store.SummaryKey]chan struct{})}
	if err := s.checkPragmas(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := s.prepare(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// dsn returns the driver data source name for the database file at the
// absolute path. Every pooled connection applies the pragmas when it
// opens; _txlock=immediate makes read-write transactions take the write
// lock at BEGIN, so they wait under busy_timeout rather than failing with
// SQLITE_BUSY when upgrading a read lock.
func dsn(path string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path)}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	u.RawQuery = q.Encode()
	return u.String()
}

// checkPragmas verifies that the connection settings the durability and
// cascade guarantees rely on took effect.
func (s *Store) checkPragmas(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var mode string
	var sync, fk int
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal_mode: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return fmt.Errorf("read synchronous: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return fmt.Errorf("read foreign_keys: %w", err)
	}
	switch {
	case !strings.EqualFold(mode, "wal"):
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	case sync != 2:
		return fmt.Errorf("synchronous is %d, want 2 (full)", sync)
	case fk != 1:
		return errors.New("foreign keys are not enforced")
	}
	return nil
}

// Close closes the database. Calls made after Close fail.
func (s *Store) Close() error {
	for _, st := range []*sql.Stmt{s.versionStmt, s.linksStmt, s.versionLinksStmt} {
		if st != nil {
			st.Close()
		}
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// Ping reports whether the database can be read.
func (s *Store) Ping(ctx context.Context) error {
	var v int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&v); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// lockWrite takes the in-process write token, or returns ctx's error if
// ctx ends first. The caller must call unlockWrite once done.
func (s *Store) lockWrite(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case s.writeSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Store) unlockWrite() { <-s.writeSem }

// now returns the timestamp format stored in created_at and updated_at.
func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// PutPaper stores p with its chunks in stored order, replacing any paper
// with the same id together with its old chunks and cached summaries, in
// one transaction. When it returns nil the paper is on disk. p must have a
// non-empty ID; PutPaper does not otherwise validate it.
func (s *Store) PutPaper(ctx context.Context, p *paper.Paper, embedder string, chunks []store.EmbeddedChunk) error {
	if p == nil {
		return errors.New("sqlite: put paper: nil paper")
	}
	if p.ID == "" {
		return errors.New("sqlite: put paper: empty id")
	}
	doc, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("sqlite: put paper %q: encode: %w", p.ID, err)
	}
	hash := store.ContentHash(p)
	vectors := encodeVectors(chunks)

	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("sqlite: put paper %q: %w", p.ID, err)
	}
	defer s.unlockWrite()
	if err := s.putPaper(ctx, p, doc, hash, embedder, chunks, vectors); err != nil {
		return fmt.Errorf("sqlite: put paper %q: %w", p.ID, err)
	}
	return nil
}

func (s *Store) putPaper(ctx context.Context, p *paper.Paper, doc []byte, hash, embedder string, chunks []store.EmbeddedChunk, vectors [][]byte) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := writePaper(ctx, tx, p, doc, hash, embedder, chunks, vectors); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// writePaper replaces the paper and its chunks and summaries within tx.
func writePaper(ctx context.Context, tx *sql.Tx, p *paper.Paper, doc []byte, hash, embedder string, chunks []store.EmbeddedChunk, vectors [][]byte) error {
	ts := now()
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO papers (id, json, title, journal, year, doi, ref_count, embedder, content_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			json = excluded.json, title = excluded.title, journal = excluded.journal,
			year = excluded.year, doi = excluded.doi, ref_count = excluded.ref_count,
			embedder = excluded.embedder, content_hash = excluded.content_hash,
			updated_at = excluded.updated_at, chunks_gen = chunks_gen + 1`,
		p.ID, string(doc), p.Title, p.Journal, p.Year, p.DOI, len(p.References), embedder, hash, ts, ts,
	); err != nil {
		return fmt.Errorf("write paper: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM chunks WHERE paper_id = ?", p.ID); err != nil {
		return fmt.Errorf("delete old chunks: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM summaries WHERE paper_id = ?", p.ID); err != nil {
		return fmt.Errorf("delete old summaries: %w", err)
	}
	if len(chunks) > 0 {
		stmt, err := tx.PrepareContext(ctx,
			"INSERT INTO chunks (paper_id, seq, id, kind, n, lang, text, vector, terms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
		if err != nil {
			return fmt.Errorf("prepare chunk insert: %w", err)
		}
		defer stmt.Close()
		for i := range chunks {
			c := &chunks[i]
			if _, err := stmt.ExecContext(ctx, p.ID, i, c.ID, string(c.Kind), c.N, c.Lang, c.Text, vectors[i], nullBlob(c.Terms)); err != nil {
				return fmt.Errorf("write chunk %d (%q): %w", i, c.ID, err)
			}
		}
	}
	return nil
}

// Paper returns the paper with the given id, or an error wrapping
// store.ErrNotFound.
func (s *Store) Paper(ctx context.Context, id string) (*paper.Paper, error) {
	var doc []byte
	err := s.db.QueryRowContext(ctx, "SELECT json FROM papers WHERE id = ?", id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: paper %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: paper %q: %w", id, err)
	}
	var p paper.Paper
	if err := json.Unmarshal(doc, &p); err != nil {
		return nil, fmt.Errorf("sqlite: paper %q: decode: %w", id, err)
	}
	return &p, nil
}

// PaperHash returns the store.ContentHash of the paper with the given id
// as recorded when it was stored, or an error wrapping store.ErrNotFound.
func (s *Store) PaperHash(ctx context.Context, id string) (string, error) {
	var hash string
	err := s.db.QueryRowContext(ctx, hashQuery, id).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("sqlite: paper hash %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: paper hash %q: %w", id, err)
	}
	return hash, nil
}

// Papers lists all papers ordered by id. The result is empty, not nil,
// when there are none.
func (s *Store) Papers(ctx context.Context) ([]store.PaperInfo, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT id, title, journal, year, doi, ref_count, content_hash FROM papers ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("sqlite: list papers: %w", err)
	}
	defer rows.Close()
	infos := []store.PaperInfo{}
	for rows.Next() {
		var pi store.PaperInfo
		if err := rows.Scan(&pi.ID, &pi.Title, &pi.Journal, &pi.Year, &pi.DOI, &pi.References, &pi.Hash); err != nil {
			return nil, fmt.Errorf("sqlite: list papers: %w", err)
		}
		infos = append(infos, pi)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list papers: %w", err)
	}
	return infos, nil
}

// Chunks returns the paper's chunks in the order they were stored and the
// name of the embedder that made their vectors, read from one consistent
// snapshot, or an error wrapping store.ErrNotFound. A paper stored without
// chunks yields an empty, non-nil slice.
func (s *Store) Chunks(ctx context.Context, paperID string) ([]store.EmbeddedChunk, string, error) {
	chunks, embedder, err := s.chunks(ctx, paperID)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: chunks of %q: %w", paperID, err)
	}
	return chunks, embedder, nil
}

func (s *Store) chunks(ctx context.Context, paperID string) ([]store.EmbeddedChunk, string, error) {
	// A read-only transaction is a plain deferred BEGIN (not IMMEDIATE),
	// so it takes no write lock, and both queries see the same snapshot.
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, "", fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only

	var embedder string
	var count, vecBytes int64
	err = tx.QueryRowContext(ctx, `
		SELECT p.embedder, count(c.seq), coalesce(sum(length(c.vector)), 0)
		FROM papers p LEFT JOIN chunks c ON c.paper_id = p.id
		WHERE p.id = ?
		GROUP BY p.id`, paperID).Scan(&embedder, &count, &vecBytes)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", store.ErrNotFound
	}
	if err != nil {
		return nil, "", err
	}

	rows, err := tx.QueryContext(ctx,
		"SELECT id, kind, n, lang, text, vector, terms FROM chunks WHERE paper_id = ? ORDER BY seq", paperID)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	chunks := make([]store.EmbeddedChunk, 0, count)
	// All vectors share one backing array, carved with full slice
	// expressions so appending to one cannot overwrite the next.
	slab := make([]float32, vecBytes/4)
	for rows.Next() {
		var c store.EmbeddedChunk
		var kind string
		var blob sql.RawBytes
		if err := rows.Scan(&c.ID, &kind, &c.N, &c.Lang, &c.Text, &blob, &c.Terms); err != nil {
			return nil, "", err
		}
		c.Kind = paper.ChunkKind(kind)
		n := len(blob) / 4
		var dst []float32
		if n <= len(slab) {
			dst, slab = slab[:n:n], slab[n:]
		} else {
			dst = make([]float32, n)
		}
		if c.Vector, err = decodeVector(dst, blob); err != nil {
			return nil, "", fmt.Errorf("chunk %q: %w", c.ID, err)
		}
		chunks = append(chunks, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	return chunks, embedder, nil
}

// DeletePaper removes the paper with the given id together with its chunks
// and summaries, or returns an error wrapping store.ErrNotFound.
func (s *Store) DeletePaper(ctx context.Context, id string) error {
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("sqlite: delete paper %q: %w", id, err)
	}
	defer s.unlockWrite()
	// Chunks and summaries go with the paper through ON DELETE CASCADE.
	res, err := s.db.ExecContext(ctx, "DELETE FROM papers WHERE id = ?", id)
	if err != nil {
		return fmt.Errorf("sqlite: delete paper %q: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: delete paper %q: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: delete paper %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// Summary returns the summary cached under exactly key, or an error
// wrapping store.ErrNotFound.
func (s *Store) Summary(ctx context.Context, key store.SummaryKey) (*paper.Summary, error) {
	var doc []byte
	err := s.db.QueryRowContext(ctx, `
		SELECT json FROM summaries
		WHERE paper_id = ? AND lang = ? AND model = ? AND prompt_version = ?`,
		key.PaperID, key.Lang, key.Model, key.PromptVersion).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: summary %s: %w", fmtKey(key), store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: summary %s: %w", fmtKey(key), err)
	}
	var sum paper.Summary
	if err := json.Unmarshal(doc, &sum); err != nil {
		return nil, fmt.Errorf("sqlite: summary %s: decode: %w", fmtKey(key), err)
	}
	return &sum, nil
}

// PutSummary caches sum under key, replacing any summary cached under the
// same key. It returns an error wrapping store.ErrNotFound if no paper has
// id key.PaperID.
func (s *Store) PutSummary(ctx context.Context, key store.SummaryKey, sum *paper.Summary) error {
	if sum == nil {
		return fmt.Errorf("sqlite: put summary %s: nil summary", fmtKey(key))
	}
	doc, err := json.Marshal(sum)
	if err != nil {
		return fmt.Errorf("sqlite: put summary %s: encode: %w", fmtKey(key), err)
	}
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("sqlite: put summary %s: %w", fmtKey(key), err)
	}
	defer s.unlockWrite()
	// One statement, so the existence check and the write are atomic.
	res, err := s.db.ExecContext(ctx, `
		INSERT INTO summaries (paper_id, lang, model, prompt_version, json, created_at)
		SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM papers WHERE id = ?)
		ON CONFLICT (paper_id, lang, model, prompt_version) DO UPDATE SET
			json = excluded.json, created_at = excluded.created_at`,
		key.PaperID, key.Lang, key.Model, key.PromptVersion, string(doc), now(), key.PaperID)
	if err != nil {
		return fmt.Errorf("sqlite: put summary %s: %w", fmtKey(key), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: put summary %s: %w", fmtKey(key), err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: put summary %s: paper: %w", fmtKey(key), store.ErrNotFound)
	}
	return nil
}

func fmtKey(k store.SummaryKey) string {
	return fmt.Sprintf("(paper %q, lang %q, model %q, prompt %q)", k.PaperID, k.Lang, k.Model, k.PromptVersion)
}

// encodeVectors encodes each chunk's vector with encodeVector into one
// shared buffer. Every result is non-nil, since a nil []byte would be
// stored as NULL.
func encodeVectors(chunks []store.EmbeddedChunk) [][]byte {
	total := 0
	for i := range chunks {
		total += len(chunks[i].Vector)
	}
	buf := make([]byte, 4*total)
	out := make([][]byte, len(chunks))
	for i := range chunks {
		n := 4 * len(chunks[i].Vector)
		out[i] = encodeVector(buf[:n:n], chunks[i].Vector)
		buf = buf[n:]
	}
	return out
}

// encodeVector writes v into dst as consecutive little-endian IEEE-754
// float32 values and returns dst[:4*len(v)]. If dst is too short a new
// slice is allocated.
func encodeVector(dst []byte, v []float32) []byte {
	if cap(dst) < 4*len(v) {
		dst = make([]byte, 4*len(v))
	}
	dst = dst[:4*len(v)]
	for i, f := range v {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(f))
	}
	return dst
}

// decodeVector decodes b, as written by encodeVector, into dst and returns
// dst[:len(b)/4], allocating if dst is too short. An empty b decodes to a
// nil vector. It fails if len(b) is not a multiple of 4.
func decodeVector(dst []float32, b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("vector blob of %d bytes is not a whole number of float32s", len(b))
	}
	n := len(b) / 4
	if n == 0 {
		return nil, nil
	}
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return dst, nil
}

// HasPapers reports whether any paper is stored, without listing them,
// so start-up costs the same whatever the catalogue size.
func (s *Store) HasPapers(ctx context.Context) (bool, error) {
	var ok bool
	if err := s.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM papers)").Scan(&ok); err != nil {
		return false, fmt.Errorf("sqlite: has papers: %w", err)
	}
	return ok, nil
}

// nullBlob stores a nil byte slice as NULL.
func nullBlob(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// Abstracts lists every paper's titles, abstracts and listing fields
// ordered by id, with the paper's catalogue terms where current ones
// are stored. It reads in one snapshot: papers with current terms from
// the catalogue_terms table and the papers_version index alone, so
// the papers' large rows are not read; the others' fields extracted
// from their stored JSON by SQLite itself.
func (s *Store) Abstracts(ctx context.Context) ([]store.PaperAbstract, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list abstracts: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read only
	withTerms, err := scanAbstracts(ctx, tx, `
		SELECT c.paper_id, c.title, c.title_zh, '', '', c.journal, c.doi, c.content_hash, c.year, c.terms
		FROM catalogue_terms c JOIN papers p INDEXED BY papers_version
			ON p.id = c.paper_id AND p.content_hash = c.content_hash
		ORDER BY c.paper_id`)
	if err != nil {
		return nil, err
	}
	others, err := scanAbstracts(ctx, tx, `
		SELECT id, title, coalesce(json_extract(json, '$.title_zh'), ''),
			coalesce(json_extract(json, '$.abstract'), ''), coalesce(json_extract(json, '$.abstract_zh'), ''),
			journal, doi, content_hash, year, NULL
		FROM papers WHERE id IN (
			SELECT p.id FROM papers p INDEXED BY papers_version
			LEFT JOIN catalogue_terms c ON c.paper_id = p.id AND c.content_hash = p.content_hash
			WHERE c.paper_id IS NULL)
		ORDER BY id`)
	if err != nil {
		return nil, err
	}
	// Merge the two id-ordered lists.
	out := make([]store.PaperAbstract, 0, len(withTerms)+len(others))
	for len(withTerms) > 0 || len(others) > 0 {
		if len(others) == 0 || (len(withTerms) > 0 && withTerms[0].ID < others[0].ID) {
			out, withTerms = append(out, withTerms[0]), withTerms[1:]
		} else {
			out, others = append(out, others[0]), others[1:]
		}
	}
	return out, nil
}

func scanAbstracts(ctx context.Context, tx *sql.Tx, query string) ([]store.PaperAbstract, error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list abstracts: %w", err)
	}
	defer rows.Close()
	out := []store.PaperAbstract{}
	for rows.Next() {
		var a store.PaperAbstract
		if err := rows.Scan(&a.ID, &a.Title, &a.TitleZh, &a.Abstract, &a.AbstractZh, &a.Journal, &a.DOI, &a.Hash, &a.Year, &a.Terms); err != nil {
			return nil, fmt.Errorf("sqlite: list abstracts: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list abstracts: %w", err)
	}
	return out, nil
}

// PutCatalogueTerms stores each entry's terms, with the listing fields
// and Chinese title of the paper it was made from, in one transaction,
// where the paper still has the entry's content hash.
func (s *Store) PutCatalogueTerms(ctx context.Context, terms []store.CatalogueTerms) error {
	if len(terms) == 0 {
		return nil
	}
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("sqlite: put catalogue terms: %w", err)
	}
	defer s.unlockWrite()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: put catalogue terms: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	stmt, err := tx.PrepareContext(ctx, `
		INSERT INTO catalogue_terms (paper_id, content_hash, title, title_zh, journal, doi, year, terms)
		SELECT id, content_hash, title, coalesce(json_extract(json, '$.title_zh'), ''), journal, doi, year, ?
		FROM papers WHERE id = ? AND content_hash = ?
		ON CONFLICT (paper_id) DO UPDATE SET
			content_hash = excluded.content_hash, title = excluded.title, title_zh = excluded.title_zh,
			journal = excluded.journal, doi = excluded.doi, year = excluded.year, terms = excluded.terms`)
	if err != nil {
		return fmt.Errorf("sqlite: put catalogue terms: %w", err)
	}
	defer stmt.Close()
	for _, t := range terms {
		if t.Terms == nil {
			t.Terms = []byte{} // NOT NULL: empty terms are still terms
		}
		if _, err := stmt.ExecContext(ctx, t.Terms, t.ID, t.Hash); err != nil {
			return fmt.Errorf("sqlite: put catalogue terms %q: %w", t.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: put catalogue terms: commit: %w", err)
	}
	return nil
}
