package rag

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/chatpaper/chatpaper/prompts"
)

// Chat roles.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// ChatMessage is one message of a chat-completion request.
type ChatMessage struct {
	Role    string
	Content string
}

// ChatRequest is one request to a chat model.
type ChatRequest struct {
	Messages []ChatMessage
	// MaxTokens caps the reply's length in tokens; 0 leaves it to the
	// endpoint.
	MaxTokens int
	// Background marks work no reader is waiting for (summaries made
	// ahead of time): it gives way to readers' requests and may fail
	// with ErrPreempted.
	Background bool
	// Urgent, when closed, tells a Background request that a reader now
	// waits for its result: from then on it is served as a reader's and
	// no longer gives way. Nil never fires.
	Urgent <-chan struct{}
}

// ChatResult is how a complete reply ended.
type ChatResult struct {
	// Truncated reports that the endpoint stopped the reply at a length
	// limit (finish_reason "length"): the text streamed is all there is,
	// but the model had more to say.
	Truncated bool
}

// ChatModel is a generative model behind an OpenAI-compatible endpoint
// (package llm adapts go-openai to it).
type ChatModel interface {
	// StreamChat sends req and calls onDelta with each piece of the
	// reply's visible content, in order; reasoning the model does aloud,
	// control characters and special tokens never reach onDelta. An
	// error from onDelta stops the stream and is returned. Failures of
	// the endpoint wrap ErrUpstream; a reply whose first token did not
	// come in time wraps ErrFirstTokenTimeout; a background request that
	// gave way to a reader wraps ErrPreempted; a cancelled ctx returns
	// ctx's error.
	StreamChat(ctx context.Context, req ChatRequest, onDelta func(string) error) (ChatResult, error)
	// Model names the model, as reported in summaries.
	Model() string
}

// ErrUpstream is wrapped by errors from the model endpoint: refused or
// failed requests, and streams that broke off. Clients see code
// "upstream".
var ErrUpstream = errors.New("model endpoint failed")

// ErrFirstTokenTimeout is wrapped (with ErrUpstream) when the model sent
// no token within the first-token timeout.
var ErrFirstTokenTimeout = errors.New("no token from the model in time")

// ErrPreempted is wrapped by the error of a background request that
// gave its place to a reader's; it is worth trying again later.
var ErrPreempted = errors.New("model request gave way to a reader")

// maxReply bounds a reply Complete collects.
const maxReply = 16 << 10

// Complete runs a short non-streamed task (rewrite, condense, summary)
// on m and returns the model's whole reply, trimmed, and whether the
// endpoint cut it at req.MaxTokens; req's Messages are pr's. A reply
// longer than 16 KiB is an error wrapping ErrUpstream.
func Complete(ctx context.Context, m ChatModel, pr prompts.Prompt, req ChatRequest) (string, bool, error) {
	var b strings.Builder
	req.Messages = []ChatMessage{{Role: RoleSystem, Content: pr.System}, {Role: RoleUser, Content: pr.User}}
	res, err := m.StreamChat(ctx, req, func(d string) error {
		if b.Len() > maxReply {
			return fmt.Errorf("%w: reply longer than 16 KiB", ErrUpstream)
		}
		b.WriteString(d)
		return nil
	})
	return strings.TrimSpace(b.String()), res.Truncated, err
}
