package rag

import "context"

// Stages an answer goes through before its first words, reported to a
// Progress function so a reader waiting for them sees what is going on.
const (
	// StageSearching: loading the paper (embedding it, if its vectors
	// are stale) and retrieving passages.
	StageSearching = "searching"
	// StageCondensing: turning a follow-up and the conversation into a
	// standalone question (a model request).
	StageCondensing = "condensing"
	// StageRewriting: translating the question into the paper's
	// language for the search (a model request).
	StageRewriting = "rewriting"
	// StageWriting: waiting for the model's first words.
	StageWriting = "writing"
)

// Progress receives the stage an answer has reached. It must not block.
type Progress func(stage string)

type progressKey struct{}

// WithProgress returns a context whose answers report their stages to
// fn. Transports that stream (the websocket, server-sent events) set it;
// a question asked without it reports nothing.
func WithProgress(ctx context.Context, fn Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// ReportStage tells ctx's Progress function, if any, that the answer
// reached stage.
func ReportStage(ctx context.Context, stage string) {
	if fn, ok := ctx.Value(progressKey{}).(Progress); ok && fn != nil {
		fn(stage)
	}
}
