// Package rag turns a question about a paper into a grounded answer:
// it chunks and indexes papers, retrieves the passages and references
// relevant to a question, decides whether the paper answers it, and
// composes the answer with citations that were really retrieved.
package rag

import (
	"context"
	"errors"
)

// ErrInvalidQuestion is returned (wrapped) when a question cannot be
// asked: empty, too long, or in an unsupported language.
var ErrInvalidQuestion = errors.New("invalid question")

// MaxQuestionRunes bounds a question's length; longer ones are refused
// rather than truncated so the reader knows.
const MaxQuestionRunes = 2000

// Modes of answering.
const (
	ModeExtractive = "extractive"
	ModeLLM        = "llm"
)

// Question is one question about one paper.
type Question struct {
	PaperID string
	Text    string
	// Lang is the reader's language, en_US or zh_CN; empty means detect
	// it from Text.
	Lang string
	// SessionID, when set, ties the question to earlier turns.
	SessionID string
}

// Source kinds reported to clients.
const (
	SourceAbstract  = "abstract"
	SourceReference = "reference"
)

// Source is one retrieved passage, in ranking order.
type Source struct {
	Kind  string  `json:"kind"`
	N     int     `json:"n,omitempty"`
	Text  string  `json:"text"`
	Score float64 `json:"score"`
}

// Citation is a reference an answer cites.
type Citation struct {
	N    int    `json:"n"`
	Text string `json:"text"`
	DOI  string `json:"doi,omitempty"`
}

// Answer is the result of a question.
type Answer struct {
	Answer     string     `json:"answer"`
	Answerable bool       `json:"answerable"`
	Citations  []Citation `json:"citations"`
	Sources    []Source   `json:"sources"`
	Mode       string     `json:"mode"`
	Lang       string     `json:"lang"`
	// DroppedCitations lists numbers a model cited that were not in the
	// retrieved context and were therefore removed.
	DroppedCitations []int `json:"dropped_citations,omitempty"`
	// SessionID is the session the turn was recorded in, if any.
	SessionID string `json:"session_id,omitempty"`
	// Closest lists, with a refusal, the passages of the paper closest
	// to the question, best first, so the reader sees near misses. They
	// were not judged relevant and are not citations: Answerable stays
	// false and Citations empty.
	Closest []Source `json:"closest,omitempty"`
}

// Emit receives the answer text piece by piece as it is produced. An
// error from Emit stops the answer and is returned by Ask.
type Emit func(delta string) error

// Answerer answers questions about papers.
type Answerer interface {
	// Ask answers q. When emit is non-nil the answer text is also
	// streamed through it; the concatenated deltas equal Answer.Answer.
	Ask(ctx context.Context, q Question, emit Emit) (*Answer, error)
}
