package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
)

// BulkPaper is one paper for PutPapers.
type BulkPaper struct {
	Paper    *paper.Paper
	Embedder string
	Chunks   []store.EmbeddedChunk
}

// PutPapers stores many papers in one transaction, each as PutPaper
// would: loading a catalogue pays one durable commit per batch instead
// of one per paper. Either every paper is stored or none is.
func (s *Store) PutPapers(ctx context.Context, batch []BulkPaper) error {
	type encoded struct {
		doc     []byte
		hash    string
		vectors [][]byte
	}
	enc := make([]encoded, len(batch))
	for i, b := range batch {
		if b.Paper == nil || b.Paper.ID == "" {
			return errors.New("sqlite: put papers: paper without an id")
		}
		doc, err := json.Marshal(b.Paper)
		if err != nil {
			return fmt.Errorf("sqlite: put papers: encode %q: %w", b.Paper.ID, err)
		}
		enc[i] = encoded{doc, store.ContentHash(b.Paper), encodeVectors(b.Chunks)}
	}
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("sqlite: put papers: %w", err)
	}
	defer s.unlockWrite()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: put papers: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for i, b := range batch {
		if err := writePaper(ctx, tx, b.Paper, enc[i].doc, enc[i].hash, b.Embedder, b.Chunks, enc[i].vectors); err != nil {
			return fmt.Errorf("sqlite: put papers: %q: %w", b.Paper.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: put papers: commit: %w", err)
	}
	return nil
}
