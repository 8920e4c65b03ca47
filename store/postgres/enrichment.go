package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
	"github.com/jackc/pgx/v5"
)

// CitedWork returns the cached work for doi, or an error wrapping
// store.ErrNotFound.
func (s *Store) CitedWork(ctx context.Context, doi string) (*paper.CitedWork, error) {
	var doc string
	err := s.pool.QueryRow(ctx, `SELECT json FROM cited_works WHERE doi = $1`, doi).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: cited work %q: %w", doi, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: cited work %q: %w", doi, ctxErr(ctx, err))
	}
	var w paper.CitedWork
	if err := json.Unmarshal([]byte(doc), &w); err != nil {
		return nil, fmt.Errorf("postgres: cited work %q: decode: %w", doi, err)
	}
	return &w, nil
}

// PutCitedWork caches w under w.DOI.
func (s *Store) PutCitedWork(ctx context.Context, w *paper.CitedWork) error {
	if w == nil || w.DOI == "" {
		return errors.New("postgres: put cited work: work needs a DOI")
	}
	if w.Fetched.IsZero() {
		w.Fetched = time.Now().UTC()
	}
	doc, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("postgres: put cited work %q: encode: %w", w.DOI, err)
	}
	if _, err := s.pool.Exec(ctx, `
		INSERT INTO cited_works (doi, json, status, fetched_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (doi) DO UPDATE SET json = excluded.json, status = excluded.status, fetched_at = excluded.fetched_at`,
		w.DOI, string(doc), w.Status, w.Fetched.UTC()); err != nil {
		return fmt.Errorf("postgres: put cited work %q: %w", w.DOI, ctxErr(ctx, err))
	}
	return nil
}

// ReferenceLinks returns the paper's links with their cached works.
func (s *Store) ReferenceLinks(ctx context.Context, paperID string) ([]paper.ReferenceLink, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT l.n, l.ref_key, l.doi, l.match, l.score, w.json
		FROM reference_links l LEFT JOIN cited_works w ON w.doi = l.doi AND l.doi <> ''
		WHERE l.paper_id = $1 ORDER BY l.n`, paperID)
	if err != nil {
		return nil, fmt.Errorf("postgres: reference links %q: %w", paperID, ctxErr(ctx, err))
	}
	defer rows.Close()
	var out []paper.ReferenceLink
	for rows.Next() {
		var l paper.ReferenceLink
		var doc *string
		if err := rows.Scan(&l.N, &l.RefKey, &l.DOI, &l.Match, &l.Score, &doc); err != nil {
			return nil, fmt.Errorf("postgres: reference links %q: %w", paperID, ctxErr(ctx, err))
		}
		if doc != nil {
			l.Work = new(paper.CitedWork)
			if err := json.Unmarshal([]byte(*doc), l.Work); err != nil {
				return nil, fmt.Errorf("postgres: reference links %q: decode work %q: %w", paperID, l.DOI, err)
			}
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: reference links %q: %w", paperID, ctxErr(ctx, err))
	}
	return out, nil
}

// PutReferenceLinks stores links for the paper in one transaction.
func (s *Store) PutReferenceLinks(ctx context.Context, paperID string, links []paper.ReferenceLink) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var one int
		// FOR SHARE keeps the paper from being deleted under the links.
		err := tx.QueryRow(ctx, `SELECT 1 FROM papers WHERE id = $1 FOR SHARE`, paperID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, l := range links {
			b.Queue(`
				INSERT INTO reference_links (paper_id, n, ref_key, doi, match, score, updated_at) VALUES ($1, $2, $3, $4, $5, $6, now())
				ON CONFLICT (paper_id, n) DO UPDATE SET ref_key = excluded.ref_key, doi = excluded.doi,
					match = excluded.match, score = excluded.score, updated_at = excluded.updated_at`,
				paperID, l.N, l.RefKey, l.DOI, l.Match, l.Score)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if errors.Is(err, store.ErrNotFound) || isForeignKey(err) {
		return fmt.Errorf("postgres: put reference links: paper %q: %w", paperID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: put reference links %q: %w", paperID, ctxErr(ctx, err))
	}
	return nil
}

// ReplaceChunks replaces the chunks of the paper stored with hash.
func (s *Store) ReplaceChunks(ctx context.Context, paperID, hash, embedder string, chunks []store.EmbeddedChunk) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE papers SET embedder = $2, updated_at = now(), chunks_gen = chunks_gen + 1 WHERE id = $1 AND content_hash = $3`, paperID, embedder, hash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		if _, err := tx.Exec(ctx, "DELETE FROM chunks WHERE paper_id = $1", paperID); err != nil {
			return fmt.Errorf("delete old chunks: %w", err)
		}
		if len(chunks) == 0 {
			return nil
		}
		var buf []byte
		rows := make([][]any, len(chunks))
		for i := range chunks {
			c := &chunks[i]
			start := len(buf)
			buf = appendVector(buf, c.Vector)
			rows[i] = []any{paperID, int32(i), c.ID, string(c.Kind), int32(c.N), c.Lang, c.Text, buf[start:len(buf):len(buf)], c.Terms}
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"chunks"},
			[]string{"paper_id", "seq", "id", "kind", "n", "lang", "text", "vector", "terms"}, pgx.CopyFromRows(rows))
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("postgres: replace chunks: paper %q with hash %.12s: %w", paperID, hash, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: replace chunks %q: %w", paperID, ctxErr(ctx, err))
	}
	return nil
}

// PaperVersion returns the paper's content hash and chunk generation.
func (s *Store) PaperVersion(ctx context.Context, paperID string) (string, error) {
	var hash string
	var gen int64
	err := s.pool.QueryRow(ctx, `SELECT content_hash, chunks_gen FROM papers WHERE id = $1`, paperID).Scan(&hash, &gen)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("postgres: paper version %q: %w", paperID, store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("postgres: paper version %q: %w", paperID, ctxErr(ctx, err))
	}
	return paperVersion(hash, gen), nil
}

// paperVersion is the version of a paper of content hash hash whose
// chunks were replaced gen times.
func paperVersion(hash string, gen int64) string {
	return fmt.Sprintf("%s/%d", hash, gen)
}

// PaperVersionAndLinks returns the paper's version and links from one
// statement (one snapshot): the version query joined with the links
// query, one row per link, or one with NULL link columns for a paper
// without links, none for a missing paper. The version repeats on every
// link's row: pgx decodes a column for little, unlike the SQLite
// driver, whose store reads the two as a compound query instead.
func (s *Store) PaperVersionAndLinks(ctx context.Context, paperID string) (string, []paper.ReferenceLink, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT p.content_hash, p.chunks_gen, l.n, l.ref_key, l.doi, l.match, l.score, w.json
		FROM papers p
		LEFT JOIN reference_links l ON l.paper_id = p.id
		LEFT JOIN cited_works w ON w.doi = l.doi AND l.doi <> ''
		WHERE p.id = $1 ORDER BY l.n`, paperID)
	if err != nil {
		return "", nil, fmt.Errorf("postgres: paper version and links %q: %w", paperID, ctxErr(ctx, err))
	}
	defer rows.Close()
	var (
		version string
		out     []paper.ReferenceLink
		// Scanned into once per row; declared here, as they escape to
		// the heap (Scan takes them as any), so they are allocated once.
		hash            string
		gen             int64
		n               *int
		key, doi, match *string
		score           *float64
		doc             *string
	)
	for rows.Next() {
		if err := rows.Scan(&hash, &gen, &n, &key, &doi, &match, &score, &doc); err != nil {
			return "", nil, fmt.Errorf("postgres: paper version and links %q: %w", paperID, ctxErr(ctx, err))
		}
		if version == "" {
			version = paperVersion(hash, gen)
		}
		if n == nil { // the one row of a paper without links
			continue
		}
		// The link's columns are NOT NULL in reference_links.
		l := paper.ReferenceLink{N: *n, RefKey: *key, DOI: *doi, Match: *match, Score: *score}
		if doc != nil {
			l.Work = new(paper.CitedWork)
			if err := json.Unmarshal([]byte(*doc), l.Work); err != nil {
				return "", nil, fmt.Errorf("postgres: paper version and links %q: decode work %q: %w", paperID, l.DOI, err)
			}
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return "", nil, fmt.Errorf("postgres: paper version and links %q: %w", paperID, ctxErr(ctx, err))
	}
	if version == "" {
		return "", nil, fmt.Errorf("postgres: paper version and links %q: %w", paperID, store.ErrNotFound)
	}
	return version, out, nil
}
