// Package enrich links a paper's references to the works they cite: it
// resolves each reference's DOI (deposited, written in the entry, or
// found by a bibliographic search accepted only above a match score),
// fetches the work's record from a registry (Crossref) once for the
// whole catalogue, and records the work's abstract and standing
// (retracted, withdrawn, expression of concern, corrected). It runs in
// the background after ingest and never on the read path.
package enrich

import (
	"context"
	"errors"

	"github.com/chatpaper/chatpaper/paper"
)

// ErrUnknownWork means the registry has no record of the DOI. It is a
// final answer: the DOI is not asked about again.
var ErrUnknownWork = errors.New("unknown work")

// ErrUnavailable means the registry could not answer now (down, slow,
// rate-limited). The reference is tried again later.
var ErrUnavailable = errors.New("registry unavailable")

// Candidate is one hit of a bibliographic search.
type Candidate struct {
	DOI       string
	Title     string
	Families  []string // authors' family names, in order
	Year      int
	Container string
	// Score is the registry's own relevance score, used only to rank.
	Score float64
}

// Registry answers for works by DOI and searches by reference text.
type Registry interface {
	// Work returns the work's record, or an error matching
	// ErrUnknownWork when the registry has none.
	Work(ctx context.Context, doi string) (*paper.CitedWork, error)
	// Search returns up to rows candidates for a reference's text, best
	// first.
	Search(ctx context.Context, bibliographic string, rows int) ([]Candidate, error)
}

// Store is the persistence enrichment needs.
type Store interface {
	// CitedWork returns the cached work for a normalised DOI, or an
	// error matching store.ErrNotFound.
	CitedWork(ctx context.Context, doi string) (*paper.CitedWork, error)
	// PutCitedWork caches w under w.DOI, replacing an older record.
	PutCitedWork(ctx context.Context, w *paper.CitedWork) error
	// ReferenceLinks returns the paper's links with their cached works.
	ReferenceLinks(ctx context.Context, paperID string) ([]paper.ReferenceLink, error)
	// PutReferenceLinks stores links for the paper's references,
	// replacing those with the same numbers.
	PutReferenceLinks(ctx context.Context, paperID string, links []paper.ReferenceLink) error
}
