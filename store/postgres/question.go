package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chatpaper/chatpaper/store"
)

// RecordQuestion stores one asked question.
func (s *Store) RecordQuestion(ctx context.Context, r *store.QuestionRecord) error {
	if r == nil || r.ID == "" {
		return errors.New("postgres: record question: record needs an id")
	}
	if r.Asked.IsZero() {
		r.Asked = time.Now()
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO questions (id, paper_id, question, lang, mode, answerable, rating, note, asked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		r.ID, r.PaperID, r.Question, r.Lang, r.Mode, r.Answerable, r.Rating, r.Note, r.Asked.UTC())
	if err != nil {
		return fmt.Errorf("postgres: record question: %w", ctxErr(ctx, err))
	}
	return nil
}

// RateQuestion sets a recorded question's feedback.
func (s *Store) RateQuestion(ctx context.Context, paperID, id string, rating int, note string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE questions SET rating = $1, note = $2 WHERE id = $3 AND paper_id = $4`,
		rating, note, id, paperID)
	if err != nil {
		return fmt.Errorf("postgres: rate question %q: %w", id, ctxErr(ctx, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: rate question %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// Questions returns the selected records, newest first.
func (s *Store) Questions(ctx context.Context, f store.QuestionFilter) ([]store.QuestionRecord, error) {
	var where []string
	var args []any
	if f.PaperID != "" {
		args = append(args, f.PaperID)
		where = append(where, fmt.Sprintf("paper_id = $%d", len(args)))
	}
	if !f.Since.IsZero() {
		args = append(args, f.Since.UTC())
		where = append(where, fmt.Sprintf("asked_at >= $%d", len(args)))
	}
	q := `SELECT id, paper_id, question, lang, mode, answerable, rating, note, asked_at FROM questions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY asked_at DESC, id"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: questions: %w", ctxErr(ctx, err))
	}
	defer rows.Close()
	var out []store.QuestionRecord
	for rows.Next() {
		var r store.QuestionRecord
		var rating int16
		if err := rows.Scan(&r.ID, &r.PaperID, &r.Question, &r.Lang, &r.Mode, &r.Answerable, &rating, &r.Note, &r.Asked); err != nil {
			return nil, fmt.Errorf("postgres: questions: %w", err)
		}
		r.Rating = int(rating)
		r.Asked = r.Asked.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: questions: %w", ctxErr(ctx, err))
	}
	return out, nil
}

// PruneQuestions deletes the records asked before the cutoff.
func (s *Store) PruneQuestions(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM questions WHERE asked_at < $1`, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("postgres: prune questions: %w", ctxErr(ctx, err))
	}
	return tag.RowsAffected(), nil
}
