package store

import (
	"context"

	"github.com/chatpaper/chatpaper/paper"
)

// Enrichments keeps what enrichment learnt about the works references
// cite: a catalogue-wide cache of works by DOI, so each DOI is fetched
// once however many papers cite it, and per paper the link from each
// reference number to its DOI. Links are deleted with their paper; the
// cache is not.
type Enrichments interface {
	// CitedWork returns the cached work for a normalised DOI or
	// ErrNotFound.
	CitedWork(ctx context.Context, doi string) (*paper.CitedWork, error)
	// PutCitedWork caches w under w.DOI, replacing an older record.
	PutCitedWork(ctx context.Context, w *paper.CitedWork) error
	// ReferenceLinks returns the paper's links ordered by reference
	// number, each with its cached work (nil when not fetched yet); none
	// for a paper without links or that does not exist.
	ReferenceLinks(ctx context.Context, paperID string) ([]paper.ReferenceLink, error)
	// PutReferenceLinks stores links, replacing those of the same
	// numbers, in one transaction. It returns ErrNotFound when the paper
	// does not exist.
	PutReferenceLinks(ctx context.Context, paperID string, links []paper.ReferenceLink) error
	// ReplaceChunks replaces the chunks of the paper stored with content
	// hash hash (store.ContentHash), keeping its summaries and sessions,
	// so enrichment can add the cited works' chunks without re-ingesting.
	// It returns ErrNotFound when no paper with that id and hash is
	// stored (deleted or replaced since).
	ReplaceChunks(ctx context.Context, paperID, hash, embedder string, chunks []EmbeddedChunk) error
	// PaperVersion returns, in one query, a string that changes whenever
	// the paper is written (PutPaper, even with unchanged content, since
	// its chunks are written again and may differ: another embedder,
	// other enrichment, another chunking) or its chunks are replaced
	// (ReplaceChunks), or ErrNotFound: what a process caching the paper,
	// or keeping a derived copy of it, compares to learn that another
	// process changed it.
	PaperVersion(ctx context.Context, paperID string) (string, error)
	// PaperVersionAndLinks returns the paper's PaperVersion and its
	// ReferenceLinks (the same string, and the same links in the same
	// order with the same cached works) read together in one query, so
	// both describe the store at one moment and a cold load makes one
	// round trip instead of two. A missing paper is an error wrapping
	// ErrNotFound, with no links. Any other error does not say which
	// half failed: a caller that serves a paper without its links when
	// only they are unreadable (a cited work that does not decode) reads
	// the two apart to tell.
	PaperVersionAndLinks(ctx context.Context, paperID string) (version string, links []paper.ReferenceLink, err error)
}
