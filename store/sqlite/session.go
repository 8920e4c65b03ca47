package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/chatpaper/chatpaper/store"
)

// Session returns the chat session with the given id, or an error
// wrapping store.ErrNotFound.
func (s *Store) Session(ctx context.Context, id string) (*store.Session, error) {
	var doc []byte
	err := s.db.QueryRowContext(ctx, `SELECT json FROM sessions WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: session %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: session %q: %w", id, err)
	}
	var sess store.Session
	if err := json.Unmarshal(doc, &sess); err != nil {
		return nil, fmt.Errorf("sqlite: session %q: decode: %w", id, err)
	}
	return &sess, nil
}

// PutSession creates or replaces a session. It returns an error wrapping
// store.ErrNotFound if the session's paper does not exist.
func (s *Store) PutSession(ctx context.Context, sess *store.Session) error {
	if sess == nil || sess.ID == "" {
		return fmt.Errorf("sqlite: put session: session needs an id")
	}
	if sess.Updated.IsZero() {
		sess.Updated = time.Now().UTC()
	}
	doc, err := json.Marshal(sess)
	if err != nil {
		return fmt.Errorf("sqlite: put session %q: encode: %w", sess.ID, err)
	}
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("sqlite: put session %q: %w", sess.ID, err)
	}
	defer s.unlockWrite()
	res, err := s.db.ExecContext(ctx, `
		INSERT INTO sessions (id, paper_id, json, updated_at)
		SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM papers WHERE id = ?)
		ON CONFLICT (id) DO UPDATE SET paper_id = excluded.paper_id, json = excluded.json, updated_at = excluded.updated_at`,
		sess.ID, sess.PaperID, string(doc), sess.Updated.UTC().Format(time.RFC3339Nano), sess.PaperID)
	if err != nil {
		return fmt.Errorf("sqlite: put session %q: %w", sess.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: put session %q: %w", sess.ID, err)
	} else if n == 0 {
		return fmt.Errorf("sqlite: put session %q: paper %q: %w", sess.ID, sess.PaperID, store.ErrNotFound)
	}
	return nil
}

// WithSummaryLock runs fn while holding the in-process lock for key.
func (s *Store) WithSummaryLock(ctx context.Context, key store.SummaryKey, fn func(ctx context.Context) error) error {
	for {
		s.summaryMu.Lock()
		held, busy := s.summaryLocks[key]
		if !busy {
			mine := make(chan struct{})
			s.summaryLocks[key] = mine
			s.summaryMu.Unlock()
			defer func() {
				s.summaryMu.Lock()
				delete(s.summaryLocks, key)
				s.summaryMu.Unlock()
				close(mine)
			}()
			return fn(ctx)
		}
		s.summaryMu.Unlock()
		select {
		case <-held:
		case <-ctx.Done():
			return fmt.Errorf("sqlite: summary lock %s: %w", fmtKey(key), ctx.Err())
		}
	}
}
