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
// be L2-normalised (as embed.Embedder promises) and of equal dimension.
//
// chromem keeps each vector slice as given, so the vectors are held
// once. It re-checks the norm of every vector added with its embedding
// (a float64 sum over all its dimensions: for a paper of 148 vectors of
// 1,024 dimensions, a fifth of a cold load's CPU), but not of one it got
// from the collection's embedding function. So each document is added by
// content, its position, and the collection's embedding function hands
// chromem the vector at that position, trusting the promise. Only a zero
// vector, which the embedders leave as it is, is added with its embedding,
// for chromem to treat as it always has.
func (c *Chromem) Set(ctx context.Context, paperID string, vectors [][]float32) error {
	_ = c.db.DeleteCollection(paperID)
	byPosition := func(_ context.Context, id string) ([]float32, error) {
		i, err := strconv.Atoi(id)
		if err != nil || i < 0 || i >= len(vectors) || len(vectors[i]) == 0 {
			return nil, fmt.Errorf("vector: chromem must not embed text itself (asked for %q)", id)
		}
		return vectors[i], nil
	}
	col, err := c.db.CreateCollection(paperID, nil, byPosition)
	if err != nil {
		return fmt.Errorf("create collection %q: %w", paperID, err)
	}
	// One document at a time: Add would start a goroutine per document,
	// which for a paper's few hundred vectors costs more than the adding.
	for i, v := range vectors {
		id := docID(i)
		doc := chromem.Document{ID: id, Content: id} // content is the position, nothing else
		if isZero(v) {
			doc.Embedding = v
		}
		if err := col.AddDocument(ctx, doc); err != nil {
			return fmt.Errorf("add vector %d of %d to %q: %w", i, len(vectors), paperID, err)
		}
	}
	return nil
}

// docIDs are the document ids of the first positions, made once: every
// load adds a paper's documents again, and formatting an id past 99
// allocates.
var docIDs = func() [1024]string {
	var ids [1024]string
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	return ids
}()

// docID is the document id of position i: its decimal form.
func docID(i int) string {
	if i < len(docIDs) {
		return docIDs[i]
	}
	return strconv.Itoa(i)
}

// isZero reports whether v has no non-zero element; it stops at the
// first one, so a normalised vector costs a few reads.
func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
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
