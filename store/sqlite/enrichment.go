package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
)

// CitedWork returns the cached work for doi, or an error wrapping
// store.ErrNotFound.
func (s *Store) CitedWork(ctx context.Context, doi string) (*paper.CitedWork, error) {
	var doc []byte
	err := s.db.QueryRowContext(ctx, `SELECT json FROM cited_works WHERE doi = ?`, doi).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: cited work %q: %w", doi, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: cited work %q: %w", doi, err)
	}
	var w paper.CitedWork
	if err := json.Unmarshal(doc, &w); err != nil {
		return nil, fmt.Errorf("sqlite: cited work %q: decode: %w", doi, err)
	}
	return &w, nil
}

// PutCitedWork caches w under w.DOI.
func (s *Store) PutCitedWork(ctx context.Context, w *paper.CitedWork) error {
	if w == nil || w.DOI == "" {
		return errors.New("sqlite: put cited work: work needs a DOI")
	}
	if w.Fetched.IsZero() {
		w.Fetched = time.Now().UTC()
	}
	doc, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("sqlite: put cited work %q: encode: %w", w.DOI, err)
	}
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("sqlite: put cited work %q: %w", w.DOI, err)
	}
	defer s.unlockWrite()
	if _, err := s.db.ExecContext(ctx, `
		INSERT INTO cited_works (doi, json, status, fetched_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (doi) DO UPDATE SET json = excluded.json, status = excluded.status, fetched_at = excluded.fetched_at`,
		w.DOI, string(doc), w.Status, w.Fetched.UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("sqlite: put cited work %q: %w", w.DOI, err)
	}
	return nil
}

// ReferenceLinks returns the paper's links with their cached works.
func (s *Store) ReferenceLinks(ctx context.Context, paperID string) ([]paper.ReferenceLink, error) {
	rows, err := s.linksStmt.QueryContext(ctx, paperID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: reference links %q: %w", paperID, err)
	}
	defer rows.Close()
	var out []paper.ReferenceLink
	for rows.Next() {
		var l paper.ReferenceLink
		var doc sql.NullString
		if err := rows.Scan(&l.N, &l.RefKey, &l.DOI, &l.Match, &l.Score, &doc); err != nil {
			return nil, fmt.Errorf("sqlite: reference links %q: %w", paperID, err)
		}
		if doc.Valid {
			if l.Work, err = decodeWork(doc.String); err != nil {
				return nil, fmt.Errorf("sqlite: reference links %q: decode work %q: %w", paperID, l.DOI, err)
			}
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: reference links %q: %w", paperID, err)
	}
	return out, nil
}

// PutReferenceLinks stores links for the paper in one transaction.
func (s *Store) PutReferenceLinks(ctx context.Context, paperID string, links []paper.ReferenceLink) error {
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("sqlite: put reference links %q: %w", paperID, err)
	}
	defer s.unlockWrite()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: put reference links %q: begin: %w", paperID, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM papers WHERE id = ?)`, paperID).Scan(&exists); err != nil {
		return fmt.Errorf("sqlite: put reference links %q: %w", paperID, err)
	}
	if !exists {
		return fmt.Errorf("sqlite: put reference links: paper %q: %w", paperID, store.ErrNotFound)
	}
	ts := now()
	for _, l := range links {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO reference_links (paper_id, n, ref_key, doi, match, score, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (paper_id, n) DO UPDATE SET ref_key = excluded.ref_key, doi = excluded.doi,
				match = excluded.match, score = excluded.score, updated_at = excluded.updated_at`,
			paperID, l.N, l.RefKey, l.DOI, l.Match, l.Score, ts); err != nil {
			return fmt.Errorf("sqlite: put reference links %q: reference %d: %w", paperID, l.N, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: put reference links %q: commit: %w", paperID, err)
	}
	return nil
}

// ReplaceChunks replaces the chunks of the paper stored with hash.
func (s *Store) ReplaceChunks(ctx context.Context, paperID, hash, embedder string, chunks []store.EmbeddedChunk) error {
	vectors := encodeVectors(chunks)
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("sqlite: replace chunks %q: %w", paperID, err)
	}
	defer s.unlockWrite()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: replace chunks %q: begin: %w", paperID, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	res, err := tx.ExecContext(ctx, `UPDATE papers SET embedder = ?, updated_at = ?, chunks_gen = chunks_gen + 1 WHERE id = ? AND content_hash = ?`, embedder, now(), paperID, hash)
	if err != nil {
		return fmt.Errorf("sqlite: replace chunks %q: %w", paperID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: replace chunks %q: %w", paperID, err)
	} else if n == 0 {
		return fmt.Errorf("sqlite: replace chunks: paper %q with hash %.12s: %w", paperID, hash, store.ErrNotFound)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM chunks WHERE paper_id = ?", paperID); err != nil {
		return fmt.Errorf("sqlite: replace chunks %q: delete: %w", paperID, err)
	}
	stmt, err := tx.PrepareContext(ctx, "INSERT INTO chunks (paper_id, seq, id, kind, n, lang, text, vector, terms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
	if err != nil {
		return fmt.Errorf("sqlite: replace chunks %q: %w", paperID, err)
	}
	defer stmt.Close()
	for i := range chunks {
		c := &chunks[i]
		if _, err := stmt.ExecContext(ctx, paperID, i, c.ID, string(c.Kind), c.N, c.Lang, c.Text, vectors[i], nullBlob(c.Terms)); err != nil {
			return fmt.Errorf("sqlite: replace chunks %q: chunk %d: %w", paperID, i, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: replace chunks %q: commit: %w", paperID, err)
	}
	return nil
}

// PaperVersion returns the paper's content hash and chunk generation.
func (s *Store) PaperVersion(ctx context.Context, paperID string) (string, error) {
	var hash string
	var gen int64
	err := s.versionStmt.QueryRowContext(ctx, paperID).Scan(&hash, &gen)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("sqlite: paper version %q: %w", paperID, store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: paper version %q: %w", paperID, err)
	}
	return paperVersion(hash, gen), nil
}

// paperVersion is the version of a paper of content hash hash whose
// chunks were replaced gen times.
func paperVersion(hash string, gen int64) string {
	return fmt.Sprintf("%s/%d", hash, gen)
}

// PaperVersionAndLinks returns the paper's version and links from one
// query (one read transaction).
func (s *Store) PaperVersionAndLinks(ctx context.Context, paperID string) (string, []paper.ReferenceLink, error) {
	rows, err := s.versionLinksStmt.QueryContext(ctx, paperID)
	if err != nil {
		return "", nil, fmt.Errorf("sqlite: paper version and links %q: %w", paperID, err)
	}
	defer rows.Close()
	var (
		version string
		found   bool
		out     []paper.ReferenceLink
		// Scanned into once per row; declared here, as they escape to
		// the heap (Scan takes them as any), so they are allocated once.
		hash, key, doi, match, doc sql.NullString
		gen, n                     sql.NullInt64
		score                      sql.NullFloat64
	)
	for rows.Next() {
		if err := rows.Scan(&hash, &gen, &n, &key, &doi, &match, &score, &doc); err != nil {
			return "", nil, fmt.Errorf("sqlite: paper version and links %q: %w", paperID, err)
		}
		if hash.Valid { // the paper's row
			version, found = paperVersion(hash.String, gen.Int64), true
			continue
		}
		l := paper.ReferenceLink{N: int(n.Int64), RefKey: key.String, DOI: doi.String, Match: match.String, Score: score.Float64}
		if doc.Valid {
			if l.Work, err = decodeWork(doc.String); err != nil {
				return "", nil, fmt.Errorf("sqlite: paper version and links %q: decode work %q: %w", paperID, l.DOI, err)
			}
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return "", nil, fmt.Errorf("sqlite: paper version and links %q: %w", paperID, err)
	}
	if !found {
		return "", nil, fmt.Errorf("sqlite: paper version and links %q: %w", paperID, store.ErrNotFound)
	}
	slices.SortFunc(out, func(a, b paper.ReferenceLink) int { return cmp.Compare(a.N, b.N) })
	return version, out, nil
}

// decodeWork decodes a cited work stored as JSON.
func decodeWork(doc string) (*paper.CitedWork, error) {
	w := new(paper.CitedWork)
	if err := json.Unmarshal([]byte(doc), w); err != nil {
		return nil, err
	}
	return w, nil
}
