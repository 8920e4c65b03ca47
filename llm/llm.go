// Package llm adapts an OpenAI-compatible endpoint (OpenAI, DeepSeek,
// Qwen/DashScope, Zhipu GLM, Ollama, vLLM…) to ChatPaper: streamed chat
// completions for rag.ChatModel and embeddings for embed.Embedder. It is
// the only package that imports go-openai.
//
// It absorbs the endpoints' quirks: keep-alive blank lines and ": ping"
// comments between events, a role-only first chunk or the role repeated
// in every delta, reasoning deltas (reasoning_content from DeepSeek,
// Qwen and vLLM; reasoning from Ollama) that must not reach the reader
// but show the model is at work, control characters and special tokens
// such as </s> in content, finish_reason "length", a final usage chunk
// with no choices, error events inside a 200 stream, streams that end
// without [DONE], and embedding batch limits (DashScope takes at most 10
// inputs per request). Servers that generate for few requests at a time
// get them readers first (Options.MaxConcurrent).
package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/rag"
)

// Options configure a Client. Every limit is explicit: package config
// holds the defaults.
type Options struct {
	BaseURL string
	APIKey  string
	// Model is the chat model.
	Model string
	// EmbedModel is the embedding model; empty disables Embedder.
	EmbedModel string
	// EmbedBatch is the most inputs per embeddings request.
	EmbedBatch int
	// Timeout bounds one whole request, retries included.
	Timeout time.Duration
	// FirstTokenTimeout bounds the wait for a stream's first content
	// token, retries included.
	FirstTokenTimeout time.Duration
	// Retries is how many times a 429 or 5xx is retried before the
	// first token.
	Retries int
	// Backoff is the first retry's delay, doubled each retry with
	// jitter.
	Backoff time.Duration
	// Temperature of chat completions.
	Temperature float32
	// HTTPClient sends the requests (default: a client with no overall
	// timeout, since streams are bounded by Timeout).
	HTTPClient *http.Client
	// Tokens, when set, receives the usage each stream reports, and
	// streams ask for it; see CountTokens.
	Tokens TokenCounter
	// MaxConcurrent, when positive, bounds the chat requests in flight
	// at once, readers first (see StreamChat); 0 sends every request at
	// once.
	MaxConcurrent int
}

// Client talks to one endpoint. It is safe for concurrent use.
type Client struct {
	c    *openai.Client
	opts Options
	// tokens holds the TokenCounter; atomic because CountTokens may be
	// called while background summaries already stream.
	tokens atomic.Pointer[tokenBox]
	// gate bounds concurrent chat requests; nil when unbounded.
	gate *gate
}

var _ rag.ChatModel = (*Client)(nil)

// New returns a client for the endpoint in o.
// Every limit in o is explicit (package config holds the defaults): a
// non-positive batch, timeout or backoff, a negative retry count or
// temperature is an error.
func New(o Options) (*Client, error) {
	if o.EmbedBatch <= 0 || o.Timeout <= 0 || o.FirstTokenTimeout <= 0 || o.Backoff <= 0 || o.Retries < 0 || o.Temperature < 0 {
		return nil, fmt.Errorf("llm: batch, timeouts and backoff must be positive, retries and temperature not negative: batch %d timeout %v first token %v backoff %v retries %d temperature %v",
			o.EmbedBatch, o.Timeout, o.FirstTokenTimeout, o.Backoff, o.Retries, o.Temperature)
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	cfg := openai.DefaultConfig(o.APIKey)
	cfg.BaseURL = o.BaseURL
	cfg.HTTPClient = &http.Client{Transport: wireWatcher{next: transport(hc)}, CheckRedirect: hc.CheckRedirect, Jar: hc.Jar}
	// go-openai counts keep-alive lines between two events and fails the
	// stream past this limit; a slow model behind a proxy that pings
	// often must not be cut off for it.
	cfg.EmptyMessagesLimit = 1 << 20
	c := &Client{c: openai.NewClientWithConfig(cfg), opts: o}
	if o.MaxConcurrent > 0 {
		c.gate = newGate(o.MaxConcurrent)
	}
	if o.Tokens != nil {
		c.CountTokens(o.Tokens)
	}
	return c, nil
}

func transport(hc *http.Client) http.RoundTripper {
	if hc.Transport != nil {
		return hc.Transport
	}
	return http.DefaultTransport
}

// Model returns the chat model's name.
func (c *Client) Model() string { return c.opts.Model }

var errTruncated = errors.New("stream ended before the model finished")

// errPreempted is the cause a background request's context is
// cancelled with when a reader needs its slot.
var errPreempted = fmt.Errorf("%w", rag.ErrPreempted)

// StreamChat implements rag.ChatModel. Requests refused with 429 or 5xx
// are retried with exponential backoff, but only until the first token
// arrived: after that a retry would repeat text the reader has seen.
// With MaxConcurrent set, a request first waits for a slot (readers
// before background requests; a reader's wait counts against the
// first-token timeout). Reasoning in any field servers use for it
// (reasoning_content, reasoning) restarts the first-token timeout
// until the first content token: the model is at work.
func (c *Client) StreamChat(ctx context.Context, r rag.ChatRequest, onDelta func(string) error) (rag.ChatResult, error) {
	req := openai.ChatCompletionRequest{
		Model:    c.opts.Model,
		Messages: make([]openai.ChatCompletionMessage, len(r.Messages)),
		Stream:   true,
	}
	if !reasoningModel(c.opts.Model) {
		req.Temperature = c.opts.Temperature
		req.MaxTokens = r.MaxTokens
	} else {
		// OpenAI's reasoning models refuse max_tokens.
		req.MaxCompletionTokens = r.MaxTokens
	}
	if c.counter() != nil {
		req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	for i, m := range r.Messages {
		req.Messages[i] = openai.ChatCompletionMessage{Role: m.Role, Content: m.Content}
	}
	parent := ctx
	if c.gate != nil && r.Background {
		bctx, release, err := c.gate.background(ctx, r.Urgent)
		if err != nil {
			return rag.ChatResult{}, err
		}
		defer release()
		ctx = bctx
	}
	tctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	fctx, fcancel := context.WithCancelCause(tctx)
	defer fcancel(nil)
	errNoToken := fmt.Errorf("%w: %w: none within %s", rag.ErrUpstream, rag.ErrFirstTokenTimeout, c.opts.FirstTokenTimeout)
	timer := time.AfterFunc(c.opts.FirstTokenTimeout, func() { fcancel(errNoToken) })
	defer timer.Stop()
	// stopped reports why the request ended early, or nil.
	stopped := func() error {
		switch {
		case parent.Err() != nil:
			return parent.Err()
		case context.Cause(ctx) == errPreempted:
			return fmt.Errorf("chat %s: %w", c.opts.Model, rag.ErrPreempted)
		case context.Cause(fctx) == errNoToken:
			return errNoToken
		}
		return nil
	}
	if c.gate != nil && !r.Background {
		release, err := c.gate.reader(fctx)
		if err != nil {
			if why := stopped(); why != nil {
				return rag.ChatResult{}, why
			}
			return rag.ChatResult{}, fmt.Errorf("%w: chat %s: waiting for a free slot: %w", rag.ErrUpstream, c.opts.Model, err)
		}
		defer release()
	}

	// live is set by the first content token: from then on the
	// first-token timeout is over and reasoning no longer restarts it.
	live, started := false, false
	alive := func() {
		if !live && timer.Stop() {
			timer.Reset(c.opts.FirstTokenTimeout)
		}
	}
	clean := &cleaner{}
	show := func(d string) error {
		if d == "" {
			return nil
		}
		started = true
		if err := onDelta(d); err != nil {
			return &sinkError{err}
		}
		return nil
	}
	deliver := func(d string) error {
		if !live {
			live = true
			timer.Stop()
		}
		return show(clean.write(d))
	}
	for attempt := 0; ; attempt++ {
		finish, err := c.streamOnce(fctx, req, deliver, alive)
		if err == nil {
			err = show(clean.flush())
		}
		var sink *sinkError
		switch {
		case err == nil:
			return rag.ChatResult{Truncated: finish == openai.FinishReasonLength}, nil
		case errors.As(err, &sink):
			// The reader went away (a closed socket): not the endpoint's
			// fault.
			return rag.ChatResult{}, sink.err
		case parent.Err() != nil || context.Cause(ctx) == errPreempted || !started && context.Cause(fctx) == errNoToken:
			return rag.ChatResult{}, stopped()
		}
		if started || attempt >= c.opts.Retries || !retryable(err) {
			return rag.ChatResult{}, fmt.Errorf("%w: chat %s: %w", rag.ErrUpstream, c.opts.Model, err)
		}
		if err := sleep(fctx, c.backoff(attempt)); err != nil {
			if err := stopped(); err != nil {
				return rag.ChatResult{}, err
			}
			return rag.ChatResult{}, fmt.Errorf("%w: chat %s: %w", rag.ErrUpstream, c.opts.Model, err)
		}
	}
}

// reasoningModel reports whether model is one of OpenAI's reasoning
// models, which refuse a sampling temperature and max_tokens (go-openai
// rejects the request before sending it).
func reasoningModel(model string) bool {
	for _, p := range []string{"o1", "o3", "o4", "gpt-5", "gpt-6"} {
		if strings.HasPrefix(model, p) {
			return true
		}
	}
	return false
}

// streamOnce makes one request, relays its content deltas and returns
// the finish reason.
func (c *Client) streamOnce(ctx context.Context, req openai.ChatCompletionRequest, deliver func(string) error, alive func()) (openai.FinishReason, error) {
	trace := &wireTrace{reasoning: alive}
	stream, err := c.c.CreateChatCompletionStream(context.WithValue(ctx, traceKey{}, trace), req)
	if err != nil {
		return "", err
	}
	defer stream.Close()
	var finish openai.FinishReason
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			// go-openai reports a body that simply ends exactly like one
			// that ended with [DONE]; only the sentinel or a finish
			// reason tells a complete reply from a cut one.
			if finish == "" && !trace.done {
				return "", errTruncated
			}
			return finish, nil
		}
		if err != nil {
			return "", err
		}
		// The usage chunk some endpoints send last has no choices.
		c.countUsage(resp.Usage)
		for _, ch := range resp.Choices {
			if ch.Index != 0 {
				continue
			}
			if ch.FinishReason != "" {
				finish = ch.FinishReason
			}
			// Reasoning (DeepSeek-R1, QwQ, Ollama's thinking models) is
			// never shown; the wire trace sees it as liveness, whichever
			// field it comes in.
			if ch.Delta.Content == "" {
				continue
			}
			if err := deliver(ch.Delta.Content); err != nil {
				return "", err
			}
		}
	}
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.Backoff << attempt
	if d > 8*time.Second {
		d = 8 * time.Second
	}
	// Full jitter in [d/2, d): replicas retrying together spread out.
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// statusOf returns the HTTP status of an endpoint error, or 0.
func statusOf(err error) int {
	var ae *openai.APIError
	if errors.As(err, &ae) {
		return ae.HTTPStatusCode
	}
	var re *openai.RequestError
	if errors.As(err, &re) {
		return re.HTTPStatusCode
	}
	return 0
}

// sinkError carries an error of the caller's onDelta through the
// stream, so it is not mistaken for the endpoint failing.
type sinkError struct{ err error }

func (e *sinkError) Error() string { return e.err.Error() }

// retryable reports whether a failed request may succeed if repeated:
// rate limits and server errors, as OpenAI documents.
func retryable(err error) bool {
	s := statusOf(err)
	return s == http.StatusTooManyRequests || s >= 500
}

// Embedder returns the embedding side of the client, or nil when no
// embedding model is configured.
func (c *Client) Embedder() *Embedder {
	if c.opts.EmbedModel == "" {
		return nil
	}
	return &Embedder{c: c}
}

// Embedder embeds texts with the endpoint's embedding model, in batches
// no larger than the configured limit.
type Embedder struct{ c *Client }

var _ embed.Embedder = (*Embedder)(nil)

// Name identifies the model, so vectors stored by another model are
// recognised as stale and re-embedded.
func (e *Embedder) Name() string { return "openai-compatible:" + e.c.opts.EmbedModel }

// Embed returns one L2-normalised vector per text, in order.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	batch := e.c.opts.EmbedBatch
	for lo := 0; lo < len(texts); lo += batch {
		hi := min(lo+batch, len(texts))
		vecs, err := e.embedBatch(ctx, texts[lo:hi])
		if err != nil {
			return nil, fmt.Errorf("%w: embed texts %d-%d with %s: %w", rag.ErrUpstream, lo, hi-1, e.c.opts.EmbedModel, err)
		}
		out = append(out, vecs...)
	}
	return out, nil
}

func (e *Embedder) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	ctx, cancel := context.WithTimeout(ctx, e.c.opts.Timeout)
	defer cancel()
	req := openai.EmbeddingRequestStrings{
		Input: texts, Model: openai.EmbeddingModel(e.c.opts.EmbedModel),
		EncodingFormat: openai.EmbeddingEncodingFormatFloat,
	}
	for attempt := 0; ; attempt++ {
		resp, err := e.c.c.CreateEmbeddings(ctx, req)
		if err == nil {
			return orderVectors(resp.Data, len(texts))
		}
		if ctx.Err() != nil || attempt >= e.c.opts.Retries || !retryable(err) {
			return nil, err
		}
		if err := sleep(ctx, e.c.backoff(attempt)); err != nil {
			return nil, err
		}
	}
}

// orderVectors puts the vectors in input order (the API gives each an
// index) and L2-normalises them, as embed.Embedder promises.
func orderVectors(data []openai.Embedding, n int) ([][]float32, error) {
	if len(data) != n {
		return nil, fmt.Errorf("got %d vectors for %d texts", len(data), n)
	}
	out := make([][]float32, n)
	for _, d := range data {
		if d.Index < 0 || d.Index >= n || out[d.Index] != nil {
			return nil, fmt.Errorf("bad or repeated vector index %d", d.Index)
		}
		out[d.Index] = normalize(d.Embedding)
	}
	dim := len(out[0])
	for i, v := range out {
		if len(v) != dim || dim == 0 {
			return nil, fmt.Errorf("vector %d has dimension %d, want %d", i, len(v), dim)
		}
	}
	return out, nil
}

func normalize(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return v
	}
	inv := float32(1 / math.Sqrt(s))
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * inv
	}
	return out
}

// EmbedModel returns the embedding model's name, empty when none.
func (c *Client) EmbedModel() string { return c.opts.EmbedModel }
