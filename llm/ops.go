package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// TokenCounter receives the token usage the endpoint reports. The
// metrics package implements it; llm does not import metrics.
type TokenCounter interface {
	// AddTokens counts n tokens of kind "prompt" or "completion" used
	// with model.
	AddTokens(model, kind string, n int)
}

type tokenBox struct{ t TokenCounter }

// CountTokens makes the client report usage to t and ask the endpoint
// for it (stream_options.include_usage) from the next request on. It is
// safe to call while requests run.
func (c *Client) CountTokens(t TokenCounter) { c.tokens.Store(&tokenBox{t}) }

func (c *Client) counter() TokenCounter {
	if b := c.tokens.Load(); b != nil {
		return b.t
	}
	return nil
}

// countUsage reports a usage chunk, which arrives last on a stream.
func (c *Client) countUsage(u *openai.Usage) {
	t := c.counter()
	if t == nil || u == nil {
		return
	}
	t.AddTokens(c.opts.Model, "prompt", u.PromptTokens)
	t.AddTokens(c.opts.Model, "completion", u.CompletionTokens)
}

// Check reports whether the endpoint can serve, for /readyz: it lists
// the models. A 404 counts as reachable, since some OpenAI-compatible
// servers do not offer /models; a refused key (401, 403), a server
// error or no answer at all do not. When the list names models, the
// chat model and the embedding model must be among them (Ollama's
// "name" and "name:latest" are the same model); otherwise the error is
// a *MissingModelError.
func (c *Client) Check(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.opts.BaseURL, "/")+"/models", nil)
	if err != nil {
		return fmt.Errorf("model endpoint check: %w", err)
	}
	if c.opts.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.APIKey)
	}
	hc := c.opts.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("model endpoint check: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("model endpoint check: key refused (%d)", resp.StatusCode)
	case resp.StatusCode >= 500:
		return fmt.Errorf("model endpoint check: status %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	// A body that is not a model list says nothing about the models.
	if json.NewDecoder(io.LimitReader(resp.Body, maxModelList)).Decode(&list) != nil || len(list.Data) == 0 {
		return nil
	}
	ids := make([]string, len(list.Data))
	for i, d := range list.Data {
		ids[i] = d.ID
	}
	for _, m := range []struct{ kind, name string }{{"chat", c.opts.Model}, {"embedding", c.opts.EmbedModel}} {
		if m.name != "" && !listed(ids, m.name) {
			return &MissingModelError{Kind: m.kind, Model: m.name, Listed: ids}
		}
	}
	return nil
}

// maxModelList bounds the model list read: thousands of models.
const maxModelList = 4 << 20

// listed reports whether the endpoint's ids name model.
func listed(ids []string, model string) bool {
	base := strings.TrimSuffix(model, ":latest")
	for _, id := range ids {
		id = strings.TrimPrefix(id, "models/")
		if id == model || strings.TrimSuffix(id, ":latest") == base {
			return true
		}
	}
	return false
}

// MissingModelError reports a configured model the endpoint does not
// list. Its message names only models, so it may be shown to operators
// (Public).
type MissingModelError struct {
	Kind   string // "chat" or "embedding"
	Model  string
	Listed []string
}

func (e *MissingModelError) Error() string { return "model endpoint check: " + e.Public() }

// Public is the error's message without any endpoint detail.
func (e *MissingModelError) Public() string {
	shown := e.Listed
	more := ""
	if len(shown) > 10 {
		shown, more = shown[:10], fmt.Sprintf(" and %d more", len(e.Listed)-10)
	}
	return fmt.Sprintf("the endpoint does not serve the %s model %q; it lists %s%s", e.Kind, e.Model, strings.Join(shown, ", "), more)
}
