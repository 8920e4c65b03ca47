package chat_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/chat"
	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/llm/llmtest"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
	"github.com/chatpaper/chatpaper/rag"
)

// newJudged returns the offline answerer and model mode over one library
// holding the demo paper, model mode answering with fake.
func newJudged(t *testing.T, fake *llmtest.Server) (*rag.Extractive, *rag.Retriever, *library.Library, *chat.Generator) {
	t.Helper()
	gen, lib, _ := newGenerator(t, fake)
	return apptest.Extractive(lib, nil), rag.NewRetriever(lib.Embedder(), nil, nil), lib, gen
}

func answerChats(fake *llmtest.Server, question string) int {
	n := 0
	for _, r := range fake.ChatsFor("answer") {
		if strings.Contains(r.Text("user"), "Question: "+question) {
			n++
		}
	}
	return n
}

// TestModelJudgesBelowTheOfflineGate: model mode asks the model about
// questions the offline decision refuses, so a configured model is not
// vetoed by the lexical gate.
func TestModelJudgesBelowTheOfflineGate(t *testing.T) {
	ctx := context.Background()
	fake := llmtest.NewServer()
	defer fake.Close()
	off, rt, lib, gen := newJudged(t, fake)
	for _, q := range []string{
		// The per-chunk coverage gate this decision replaced refused it
		// with references 26–28 ranked first to third.
		"Which databases catalogue exosomal cargo?",
		// Below the calibrated offline threshold, above the floor.
		"Which papers cover vesicles in patients' urine?",
	} {
		t.Run(q, func(t *testing.T) {
			lp, err := lib.Acquire(ctx, paper.DemoID)
			if err != nil {
				t.Fatal(err)
			}
			r, err := rt.Retrieve(ctx, lp, q)
			lp.Release()
			if err != nil {
				t.Fatal(err)
			}
			if !r.Plausible {
				t.Fatalf("retrieval below the model floor (p=%.3f)", r.Prob)
			}
			ans, err := gen.Ask(ctx, rag.Question{PaperID: paper.DemoID, Text: q}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if answerChats(fake, q) == 0 {
				t.Fatalf("the model was not asked; answer %q", ans.Answer)
			}
			if ans.Mode != rag.ModeLLM || !ans.Answerable || len(ans.Citations) == 0 {
				t.Errorf("mode %s answerable %v citations %v, want the model's cited answer", ans.Mode, ans.Answerable, ans.Citations)
			}
		})
	}
	// The second question is one the offline engine refuses.
	ans, err := off.Ask(ctx, rag.Question{PaperID: paper.DemoID, Text: "Which papers cover vesicles in patients' urine?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Answerable {
		t.Errorf("offline answer %q is answerable: pick a question below the offline threshold", ans.Answer)
	}
}

// TestModelNotAskedOnEmptyRetrieval: a question that retrieves nothing
// is refused without a model call.
func TestModelNotAskedOnEmptyRetrieval(t *testing.T) {
	ctx := context.Background()
	fake := llmtest.NewServer()
	defer fake.Close()
	gen, _, _ := newGenerator(t, fake)
	for _, q := range []string{"Why is that so?", "What is the boiling point of liquid nitrogen?"} {
		ans, err := gen.Ask(ctx, rag.Question{PaperID: paper.DemoID, Text: q}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := answerChats(fake, q); n != 0 {
			t.Errorf("%q: %d answer requests, want none", q, n)
		}
		if ans.Answerable || len(ans.Citations) != 0 {
			t.Errorf("%q: answerable %v citations %v, want a refusal", q, ans.Answerable, ans.Citations)
		}
	}
}

// TestNotCoveredIsRefusal: the model's NOT_COVERED becomes the refusal:
// not answerable, no citation, the near misses listed apart.
func TestNotCoveredIsRefusal(t *testing.T) {
	ctx := context.Background()
	fake := llmtest.NewServer()
	defer fake.Close()
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		if r.Task() == "answer" {
			return &llmtest.Reply{Tokens: llmtest.Split(prompts.NotCovered)}
		}
		return nil
	})
	gen, _, _ := newGenerator(t, fake)
	for _, lang := range []string{paper.LangEN, paper.LangZH} {
		q := "Which databases catalogue exosomal cargo?"
		var streamed strings.Builder
		ans, err := gen.Ask(ctx, rag.Question{PaperID: paper.DemoID, Text: q, Lang: lang}, func(d string) error {
			streamed.WriteString(d)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if answerChats(fake, q) == 0 {
			t.Fatal("the model was not asked")
		}
		if ans.Answerable || len(ans.Citations) != 0 || len(ans.DroppedCitations) != 0 {
			t.Errorf("%s: answerable %v citations %v, want a refusal citing nothing", lang, ans.Answerable, ans.Citations)
		}
		if strings.Contains(ans.Answer, prompts.NotCovered) || strings.ContainsAny(ans.Answer, "[［") {
			t.Errorf("%s: refusal text %q shows the marker or a citation", lang, ans.Answer)
		}
		if len(ans.Closest) == 0 || streamed.String() != ans.Answer {
			t.Errorf("%s: closest %v, streamed %q, answer %q", lang, ans.Closest, streamed.String(), ans.Answer)
		}
	}
}
