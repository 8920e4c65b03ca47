// Package vector adapts chromem-go, the in-process vector store, to the
// small interface package library needs: one collection per paper, built
// from vectors the caller already has.
package vector

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/philippgille/chromem-go"

	"github.com/chatpaper/chatpaper/library"
)

// Chromem keeps one chromem-go collection per paper in memory.
// It is safe for concurrent use.
type Chromem struct {
	db *chromem.DB
}

var _ library.VectorIndex = (*Chromem)(nil)

// NewChromem returns an empty in-memory index.
func NewChromem() *Chromem { return &Chromem{db: chromem.NewDB()} }

// noEmbed stops chromem from ever calling its default (network) embedding
// function: ChatPaper always supplies vectors itself.
func noEmbed(context.Context, string) ([]float32, error) {
	return nil, errors.New("vector: chromem must not embed text itself")
}

// Set replaces the paper's collection with the given vectors, which must
// be L2-normalised and of equal dimension.
func (c *Chromem) Set(ctx context.Context, paperID string, vectors [][]float32) error {
	_ = c.db.DeleteCollection(paperID)
	col, err := c.db.CreateCollection(paperID, nil, noEmbed)
	if err != nil {
		return fmt.Errorf("create collection %q: %w", paperID, err)
	}
	if len(vectors) == 0 {
		return nil
	}
	ids := make([]string, len(vectors))
	contents := make([]string, len(vectors))
	for i := range vectors {
		ids[i] = strconv.Itoa(i)
		contents[i] = ids[i] // chromem wants content or an embedding; content is unused
	}
	if err := col.Add(ctx, ids, vectors, nil, contents); err != nil {
		return fmt.Errorf("add %d vectors to %q: %w", len(vectors), paperID, err)
	}
	return nil
}

// Drop removes the paper's collection if it exists.
func (c *Chromem) Drop(paperID string) { _ = c.db.DeleteCollection(paperID) }

// Query returns up to k hits for the paper, best first. A paper with no
// collection yields an error.
func (c *Chromem) Query(ctx context.Context, paperID string, query []float32, k int) ([]library.VectorHit, error) {
	col := c.db.GetCollection(paperID, noEmbed)
	if col == nil {
		return nil, fmt.Errorf("no vector collection for paper %q", paperID)
	}
	if n := col.Count(); k > n {
		k = n
	}
	if k <= 0 {
		return nil, nil
	}
	res, err := col.QueryEmbedding(ctx, query, k, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", paperID, err)
	}
	hits := make([]library.VectorHit, len(res))
	for i, r := range res {
		idx, err := strconv.Atoi(r.ID)
		if err != nil {
			return nil, fmt.Errorf("query %q: bad document id %q", paperID, r.ID)
		}
		hits[i] = library.VectorHit{Index: idx, Score: r.Similarity}
	}
	return hits, nil
}
