package llm

import (
	"context"
	"fmt"
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

// Check reports whether the endpoint is reachable and accepts the key,
// for /readyz: it lists the models. A 404 counts as reachable, since
// some OpenAI-compatible servers do not offer /models; a refused key
// (401, 403), a server error or no answer at all do not.
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
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("model endpoint check: key refused (%d)", resp.StatusCode)
	case resp.StatusCode >= 500:
		return fmt.Errorf("model endpoint check: status %d", resp.StatusCode)
	}
	return nil
}
