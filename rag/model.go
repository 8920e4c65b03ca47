package rag

import (
	"context"
	"errors"
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
