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

// ChatModel is a generative model behind an OpenAI-compatible endpoint
// (package llm adapts go-openai to it).
type ChatModel interface {
	// StreamChat sends msgs and calls onDelta with each piece of the
	// reply's visible content, in order; reasoning the model does aloud
	// never reaches onDelta. An error from onDelta stops the stream and
	// is returned. Failures of the endpoint wrap ErrUpstream; a reply
	// whose first token did not come in time wraps ErrFirstTokenTimeout;
	// a cancelled ctx returns ctx's error.
	StreamChat(ctx context.Context, msgs []ChatMessage, onDelta func(string) error) error
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

// maxReply bounds a reply Complete collects.
const maxReply = 16 << 10

// Complete runs a short non-streamed task (rewrite, condense, summary)
// on m and returns the model's whole reply, trimmed. A reply longer than
// 16 KiB is an error wrapping ErrUpstream.
func Complete(ctx context.Context, m ChatModel, pr prompts.Prompt) (string, error) {
	var b strings.Builder
	err := m.StreamChat(ctx, []ChatMessage{{Role: RoleSystem, Content: pr.System}, {Role: RoleUser, Content: pr.User}}, func(d string) error {
		if b.Len() > maxReply {
			return fmt.Errorf("%w: reply longer than 16 KiB", ErrUpstream)
		}
		b.WriteString(d)
		return nil
	})
	return strings.TrimSpace(b.String()), err
}
