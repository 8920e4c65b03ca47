// Package embed turns text into vectors for retrieval. The default is
// Local, a deterministic pure-Go feature-hashing embedder that needs no
// network and no model files.
package embed

import "context"

// Embedder embeds a batch of texts. It returns one L2-normalised vector
// per input text, in order, all of the same dimension.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	// Name identifies the embedder and its settings; vectors from
	// embedders with different names are not comparable.
	Name() string
}
