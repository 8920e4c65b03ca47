// Package rag answers one question over one loaded paper: it parses the
// question, retrieves and ranks the paper's passages and references
// (BM25 fused with vector similarity, optionally reranked), decides
// whether the paper answers it, composes the extractive answer, and
// filters a model's citations down to those really retrieved. It also
// holds the vocabulary of questions and answers the rest shares.
package rag

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/tokenize"
)

// ErrInvalidQuestion is returned (wrapped) when a question cannot be
// asked: empty, too long, or with a malformed session id. An
// unsupported language is paper.ErrInvalidLang.
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
	SourceBody      = "body"    // a passage of one section of the body
	SourceCaption   = "caption" // a figure's or table's caption
)

// Source is one retrieved passage, in ranking order. Body passages and
// captions say where they stand and what they cite.
type Source struct {
	Kind string `json:"kind"`
	N    int    `json:"n,omitempty"`
	// ID is the passage id of a body or caption source ("sec3.p2.s4+2",
	// "fig1"); see paper.Passage.
	ID string `json:"id,omitempty"`
	// Section is the title of a body passage's section, or a caption's
	// label ("Figure 1").
	Section string `json:"section,omitempty"`
	// Cites are the reference numbers a body passage or caption cites;
	// an answer may cite them.
	Cites []int   `json:"cites,omitempty"`
	Text  string  `json:"text"`
	Score float64 `json:"score"`
}

// Citation is a reference an answer cites.
type Citation struct {
	N    int    `json:"n"`
	Text string `json:"text"`
	DOI  string `json:"doi,omitempty"`
	// Status, NoticeDOI and StatusDate flag a cited work that was
	// retracted, withdrawn, corrected or has an expression of concern
	// (paper.Reference).
	Status     string `json:"status,omitempty"`
	NoticeDOI  string `json:"notice_doi,omitempty"`
	StatusDate string `json:"status_date,omitempty"`
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
	// Notice is one line, in the answer's language, when the answer
	// cites a retracted or withdrawn work; empty otherwise.
	Notice string `json:"notice,omitempty"`
	// Truncated reports that the model's answer was cut at its length
	// limit: what it says is true to the paper, but incomplete.
	Truncated bool `json:"truncated"`
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

// NormalizeQuestion validates q and fills in its language: an empty or
// too long question is an error wrapping ErrInvalidQuestion, a language
// other than en_US and zh_CN one wrapping paper.ErrInvalidLang.
func NormalizeQuestion(q Question) (Question, error) {
	q.Text = strings.TrimSpace(q.Text)
	if q.Text == "" {
		return q, fmt.Errorf("%w: question is empty", ErrInvalidQuestion)
	}
	if n := utf8.RuneCountInString(q.Text); n > MaxQuestionRunes {
		return q, fmt.Errorf("%w: question has %d characters, at most %d are allowed", ErrInvalidQuestion, n, MaxQuestionRunes)
	}
	switch q.Lang {
	case "":
		q.Lang = LangOf(q.Text)
	case paper.LangEN, paper.LangZH:
	default:
		return q, fmt.Errorf("%w: lang %q must be en_US or zh_CN", paper.ErrInvalidLang, q.Lang)
	}
	return q, nil
}

// LangOf returns the reader language a text is written in.
func LangOf(text string) string {
	if tokenize.Lang(text) == "zh" {
		return paper.LangZH
	}
	return paper.LangEN
}
