// Package rerank adapts HTTP reranking services to rag.Reranker: a
// text-embeddings-inference (TEI) style POST /rerank, or the
// Cohere/Jina style POST /v1/rerank that OpenAI-compatible gateways
// expose.
package rerank

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/chatpaper/chatpaper/rag"
)

// APIs an HTTP reranker can speak.
const (
	// APITEI is text-embeddings-inference: request {"query","texts"},
	// response [{"index","score"}].
	APITEI = "tei"
	// APICohere is the Cohere/Jina form: request {"model","query",
	// "documents"}, response {"results":[{"index","relevance_score"}]}.
	APICohere = "cohere"
)

// HTTP calls a reranking endpoint. The zero value is not usable; call
// New.
type HTTP struct {
	url, api, model string
	client          *http.Client
}

var _ rag.Reranker = (*HTTP)(nil)

// New returns a reranker posting to url (the full endpoint, e.g.
// http://127.0.0.1:8081/rerank) in the given api form. model is sent in
// the Cohere form only; timeout bounds one call.
func New(url, api, model string, timeout time.Duration) (*HTTP, error) {
	switch api {
	case APITEI, APICohere:
	default:
		return nil, fmt.Errorf("rerank: api %q must be %q or %q", api, APITEI, APICohere)
	}
	if url == "" {
		return nil, fmt.Errorf("rerank: url is empty")
	}
	return &HTTP{url: url, api: api, model: model, client: &http.Client{Timeout: timeout}}, nil
}

// maxResponseBytes bounds a reranker's reply: scores for a few dozen
// passages are a few KiB.
const maxResponseBytes = 1 << 20

// Rerank scores texts for query in one request.
func (h *HTTP) Rerank(ctx context.Context, query string, texts []string) ([]float64, error) {
	var body any
	if h.api == APITEI {
		body = map[string]any{"query": query, "texts": texts, "truncate": true}
	} else {
		body = map[string]any{"model": h.model, "query": query, "documents": texts, "top_n": len(texts)}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("rerank: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rerank: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("rerank: read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("rerank: %s answered %s: %.200s", h.url, resp.Status, data)
	}
	type hit struct {
		Index int      `json:"index"`
		Score *float64 `json:"score"`
		Rel   *float64 `json:"relevance_score"`
	}
	var hits []hit
	if h.api == APITEI {
		err = json.Unmarshal(data, &hits)
	} else {
		var r struct {
			Results []hit `json:"results"`
		}
		err = json.Unmarshal(data, &r)
		hits = r.Results
	}
	if err != nil {
		return nil, fmt.Errorf("rerank: decode response: %w", err)
	}
	scores := make([]float64, len(texts))
	seen := make([]bool, len(texts))
	for _, x := range hits {
		if x.Index < 0 || x.Index >= len(texts) || seen[x.Index] {
			return nil, fmt.Errorf("rerank: response has index %d for %d texts", x.Index, len(texts))
		}
		s := x.Score
		if s == nil {
			s = x.Rel
		}
		if s == nil {
			return nil, fmt.Errorf("rerank: response lacks a score for index %d", x.Index)
		}
		seen[x.Index], scores[x.Index] = true, *s
	}
	for i, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("rerank: response lacks text %d of %d", i, len(texts))
		}
	}
	return scores, nil
}
