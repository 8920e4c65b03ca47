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
// wrapping store.ErrNotFound. Its turns come from session_turns, oldest
// first.
func (s *Store) Session(ctx context.Context, id string) (*store.Session, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("sqlite: session %q: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var doc []byte
	err = tx.QueryRowContext(ctx, `SELECT json FROM sessions WHERE id = ?`, id).Scan(&doc)
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
	rows, err := tx.QueryContext(ctx, `SELECT json FROM session_turns WHERE session_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: session %q: turns: %w", id, err)
	}
	defer rows.Close()
	sess.Turns = nil
	for rows.Next() {
		var tj []byte
		var t store.Turn
		if err := rows.Scan(&tj); err != nil {
			return nil, fmt.Errorf("sqlite: session %q: turns: %w", id, err)
		}
		if err := json.Unmarshal(tj, &t); err != nil {
			return nil, fmt.Errorf("sqlite: session %q: decode turn: %w", id, err)
		}
		sess.Turns = append(sess.Turns, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: session %q: turns: %w", id, err)
	}
	return &sess, nil
}

// sessionDoc is the sessions row's json: the session without its turns,
// which live in session_turns.
func sessionDoc(sess *store.Session) ([]byte, error) {
	head := *sess
	head.Turns = nil
	return json.Marshal(&head)
}

// PutSession creates or replaces a session with its last
// store.MaxSessionTurns turns. It returns an error wrapping
// store.ErrNotFound if the session's paper does not exist.
func (s *Store) PutSession(ctx context.Context, sess *store.Session) error {
	if sess == nil || sess.ID == "" {
		return fmt.Errorf("sqlite: put session: session needs an id")
	}
	if sess.Updated.IsZero() {
		sess.Updated = time.Now().UTC()
	}
	doc, err := sessionDoc(sess)
	if err != nil {
		return fmt.Errorf("sqlite: put session %q: encode: %w", sess.ID, err)
	}
	turns := sess.Turns
	if n := len(turns) - store.MaxSessionTurns; n > 0 {
		turns = turns[n:]
	}
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("sqlite: put session %q: %w", sess.ID, err)
	}
	defer s.unlockWrite()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO sessions (id, paper_id, json, updated_at, turn_seq)
			SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM papers WHERE id = ?)
			ON CONFLICT (id) DO UPDATE SET paper_id = excluded.paper_id, json = excluded.json,
				updated_at = excluded.updated_at, turn_seq = excluded.turn_seq`,
			sess.ID, sess.PaperID, string(doc), sess.Updated.UTC().Format(time.RFC3339Nano), len(turns), sess.PaperID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("paper %q: %w", sess.PaperID, store.ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM session_turns WHERE session_id = ?`, sess.ID); err != nil {
			return err
		}
		for i := range turns {
			if err := insertTurn(ctx, tx, sess.ID, i+1, &turns[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: put session %q: %w", sess.ID, err)
	}
	return nil
}

// AppendTurn adds t at the end of session id in one transaction; see
// store.Store. Writes are serialised (the write token and BEGIN
// IMMEDIATE), so the read of the session's last turn number and the
// insert after it cannot interleave with another append's.
func (s *Store) AppendTurn(ctx context.Context, id, paperID string, t store.Turn, maxTurns int) error {
	if id == "" {
		return fmt.Errorf("sqlite: append turn: session needs an id")
	}
	keep := store.KeptTurns(maxTurns)
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("sqlite: append turn to %q: %w", id, err)
	}
	defer s.unlockWrite()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		updated := time.Now().UTC()
		var have string
		err := tx.QueryRowContext(ctx, `SELECT paper_id FROM sessions WHERE id = ?`, id).Scan(&have)
		switch {
		case errors.Is(err, sql.ErrNoRows) || (err == nil && have != paperID):
			// New, or about another paper: start over.
			doc, err := sessionDoc(&store.Session{ID: id, PaperID: paperID, Updated: updated})
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `
				INSERT INTO sessions (id, paper_id, json, updated_at, turn_seq)
				SELECT ?, ?, ?, ?, 0 WHERE EXISTS (SELECT 1 FROM papers WHERE id = ?)
				ON CONFLICT (id) DO UPDATE SET paper_id = excluded.paper_id, json = excluded.json,
					updated_at = excluded.updated_at, turn_seq = 0`,
				id, paperID, string(doc), updated.Format(time.RFC3339Nano), paperID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return fmt.Errorf("paper %q: %w", paperID, store.ErrNotFound)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM session_turns WHERE session_id = ?`, id); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		doc, err := sessionDoc(&store.Session{ID: id, PaperID: paperID, Updated: updated})
		if err != nil {
			return err
		}
		var seq int
		if err := tx.QueryRowContext(ctx, `
			UPDATE sessions SET turn_seq = turn_seq + 1, updated_at = ?, json = ? WHERE id = ? RETURNING turn_seq`,
			updated.Format(time.RFC3339Nano), string(doc), id).Scan(&seq); err != nil {
			return err
		}
		if err := insertTurn(ctx, tx, id, seq, &t); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM session_turns WHERE session_id = ? AND seq <= ?`, id, seq-keep)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: append turn to %q: %w", id, err)
	}
	return nil
}

func insertTurn(ctx context.Context, tx *sql.Tx, id string, seq int, t *store.Turn) error {
	tj, err := json.Marshal(t)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO session_turns (session_id, seq, json) VALUES (?, ?, ?)`, id, seq, string(tj))
	return err
}

// inTx runs fn in a transaction, committing if it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
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
