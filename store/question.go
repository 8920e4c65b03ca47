package store

import (
	"context"
	"time"
)

// Ratings a reader can give an answer.
const (
	RatingNone = 0
	RatingUp   = 1
	RatingDown = -1
)

// MaxNoteRunes bounds a reader's feedback note.
const MaxNoteRunes = 2000

// QuestionRecord is one question a reader asked, as the questions report
// keeps it: what was asked about which paper, in which language and mode,
// whether the paper answered it, and the reader's feedback. It holds
// nothing that identifies the reader: no IP address, no session.
type QuestionRecord struct {
	ID         string    `json:"id"`
	PaperID    string    `json:"paper_id"`
	Question   string    `json:"question"`
	Lang       string    `json:"lang"`
	Mode       string    `json:"mode"`
	Answerable bool      `json:"answerable"`
	Asked      time.Time `json:"asked"`
	// Rating is RatingUp, RatingDown or RatingNone (not rated).
	Rating int    `json:"rating"`
	Note   string `json:"note,omitempty"`
}

// QuestionFilter selects recorded questions. Zero fields select all.
type QuestionFilter struct {
	PaperID string
	// Since keeps questions asked at or after it.
	Since time.Time
	// Limit bounds how many records are returned (newest first); 0
	// means no bound.
	Limit int
}

// QuestionLog keeps the questions readers asked and their feedback, for
// the questions report. Records are independent of the paper rows: a
// deleted or re-ingested paper keeps its history until retention prunes
// it.
type QuestionLog interface {
	// RecordQuestion stores r; r.ID must be new and non-empty.
	RecordQuestion(ctx context.Context, r *QuestionRecord) error
	// RateQuestion sets the rating and note of the recorded question
	// with the given id and paper, replacing earlier feedback, or
	// returns ErrNotFound.
	RateQuestion(ctx context.Context, paperID, id string, rating int, note string) error
	// Questions returns the records f selects, newest first.
	Questions(ctx context.Context, f QuestionFilter) ([]QuestionRecord, error)
	// PruneQuestions deletes the records asked before the cutoff and
	// returns how many it deleted.
	PruneQuestions(ctx context.Context, before time.Time) (int64, error)
}
