package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chatpaper/chatpaper/store"
)

// askedFormat is fixed-width, so asked_at values order and compare as
// text the way they do as times.
const askedFormat = "2006-01-02T15:04:05.000000000Z"

// RecordQuestion stores one asked question. When it returns nil the
// record is committed. Records arriving while another write runs are
// committed together, in one transaction (a group commit): a commit
// costs far more than an insert, and readers ask many questions at once.
// If that transaction fails, each of its records is retried alone, so
// one bad record fails only its own caller. A ctx already done records
// nothing; a caller whose ctx ends while another leads its group gets
// ctx's error, though the record may still be committed; the leader
// returns when its group is written, within questionWriteTimeout.
func (s *Store) RecordQuestion(ctx context.Context, r *store.QuestionRecord) error {
	if r == nil || r.ID == "" {
		return errors.New("sqlite: record question: record needs an id")
	}
	if r.Asked.IsZero() {
		r.Asked = time.Now()
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: record question: %w", err)
	}
	s.questionsMu.Lock()
	g := s.questionsNext
	leader := g == nil
	if leader {
		g = &questionGroup{done: make(chan struct{})}
		s.questionsNext = g
	}
	g.recs = append(g.recs, r)
	g.errs = append(g.errs, nil)
	at := len(g.recs) - 1
	s.questionsMu.Unlock()
	if !leader {
		select {
		case <-g.done:
			return g.errs[at]
		case <-ctx.Done():
			return fmt.Errorf("sqlite: record question: %w", ctx.Err())
		}
	}
	// The leader waits for the write lock; records arriving meanwhile
	// join its group, which closes once it holds the lock. The group's
	// other callers wait on it, so neither the wait nor the write ends
	// with the leader's ctx; questionWriteTimeout bounds both.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), questionWriteTimeout)
	defer cancel()
	err := s.lockWrite(wctx)
	s.questionsMu.Lock()
	s.questionsNext = nil
	s.questionsMu.Unlock()
	if err == nil {
		s.writeQuestions(wctx, g)
		s.unlockWrite()
	} else {
		for i := range g.errs {
			g.errs[i] = fmt.Errorf("sqlite: record question: %w", err)
		}
	}
	close(g.done)
	return g.errs[at]
}

// questionWriteTimeout bounds one group's write.
const questionWriteTimeout = 10 * time.Second

// questionGroup is the records committed in one transaction, and each
// one's outcome, final once done is closed.
type questionGroup struct {
	recs []*store.QuestionRecord
	errs []error
	done chan struct{}
}

const insertQuestion = `
		INSERT INTO questions (id, paper_id, question, lang, mode, answerable, rating, note, asked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

func questionArgs(r *store.QuestionRecord) []any {
	return []any{r.ID, r.PaperID, r.Question, r.Lang, r.Mode, boolInt(r.Answerable), r.Rating, r.Note,
		r.Asked.UTC().Format(askedFormat)}
}

// writeQuestions commits g's records in one transaction, or, if that
// fails, each alone, setting each record's error. The caller holds the
// write lock.
func (s *Store) writeQuestions(ctx context.Context, g *questionGroup) {
	if len(g.recs) > 1 {
		if err := s.insertQuestions(ctx, g.recs); err == nil {
			return
		}
	}
	for i, r := range g.recs {
		if _, err := s.db.ExecContext(ctx, insertQuestion, questionArgs(r)...); err != nil {
			g.errs[i] = fmt.Errorf("sqlite: record question: %w", err)
		}
	}
}

func (s *Store) insertQuestions(ctx context.Context, recs []*store.QuestionRecord) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, insertQuestion)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, r := range recs {
		if _, err := st.ExecContext(ctx, questionArgs(r)...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// RateQuestion sets a recorded question's feedback.
func (s *Store) RateQuestion(ctx context.Context, paperID, id string, rating int, note string) error {
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("sqlite: rate question: %w", err)
	}
	defer s.unlockWrite()
	res, err := s.db.ExecContext(ctx, `UPDATE questions SET rating = ?, note = ? WHERE id = ? AND paper_id = ?`,
		rating, note, id, paperID)
	if err != nil {
		return fmt.Errorf("sqlite: rate question %q: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: rate question %q: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("sqlite: rate question %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// Questions returns the selected records, newest first.
func (s *Store) Questions(ctx context.Context, f store.QuestionFilter) ([]store.QuestionRecord, error) {
	var where []string
	var args []any
	if f.PaperID != "" {
		where = append(where, "paper_id = ?")
		args = append(args, f.PaperID)
	}
	if !f.Since.IsZero() {
		where = append(where, "asked_at >= ?")
		args = append(args, f.Since.UTC().Format(askedFormat))
	}
	q := `SELECT id, paper_id, question, lang, mode, answerable, rating, note, asked_at FROM questions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY asked_at DESC, id"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: questions: %w", err)
	}
	defer rows.Close()
	var out []store.QuestionRecord
	for rows.Next() {
		var r store.QuestionRecord
		var answerable int
		var asked string
		if err := rows.Scan(&r.ID, &r.PaperID, &r.Question, &r.Lang, &r.Mode, &answerable, &r.Rating, &r.Note, &asked); err != nil {
			return nil, fmt.Errorf("sqlite: questions: %w", err)
		}
		r.Answerable = answerable != 0
		if r.Asked, err = time.Parse(askedFormat, asked); err != nil {
			return nil, fmt.Errorf("sqlite: questions: asked_at %q: %w", asked, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: questions: %w", err)
	}
	return out, nil
}

// PruneQuestions deletes the records asked before the cutoff.
func (s *Store) PruneQuestions(ctx context.Context, before time.Time) (int64, error) {
	if err := s.lockWrite(ctx); err != nil {
		return 0, fmt.Errorf("sqlite: prune questions: %w", err)
	}
	defer s.unlockWrite()
	res, err := s.db.ExecContext(ctx, `DELETE FROM questions WHERE asked_at < ?`, before.UTC().Format(askedFormat))
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune questions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune questions: %w", err)
	}
	return n, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
