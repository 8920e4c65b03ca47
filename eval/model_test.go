package eval_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/config"
	"github.com/chatpaper/chatpaper/eval"
	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/llm"
	"github.com/chatpaper/chatpaper/llm/llmtest"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
	"github.com/chatpaper/chatpaper/store/sqlite"
)

// devTranslations stand in for the model's query rewriting of the dev
// set's Chinese questions: what a competent model writes for them.
var devTranslations = map[string]string{
	"哪些文献研究了树突状细胞来源的外泌体用于癌症治疗？": "dendritic cell-derived exosomes for cancer therapy\ndendritic cell exosome vaccine",
	"放射治疗有哪些机遇和挑战？":             "opportunities and challenges of radiotherapy",
	"埃菲尔铁塔有多高？":                 "height of the Eiffel Tower",
}

// questionRe finds the question in an answer prompt.
var questionRe = regexp.MustCompile(`(?m)^Question: (.+)$`)

// TestDevQAModelMode runs the dev QA set through model mode against the
// loopback fake, whose rewrites are devTranslations and whose answers
// cite the first two references of the context it is given, or reply
// NOT_COVERED to the set's unanswerable questions as a competent model
// would. It checks what model mode adds over the offline default:
// Chinese questions on the English paper retrieve and cite gold
// references, and unanswerable questions end as refusals without a
// citation, whether the floor or the model refused them.
func TestDevQAModelMode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := llmtest.NewServer()
	defer fake.Close()
	for q, en := range devTranslations {
		fake.SetRewrite(q, en)
	}
	// The fake plays a competent model: it declares the unanswerable
	// questions not covered by what it is given.
	notCovered := map[string]bool{}
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		if m := questionRe.FindStringSubmatch(r.Text("user")); r.Task() == "answer" && m != nil && notCovered[strings.TrimSpace(m[1])] {
			return &llmtest.Reply{Tokens: llmtest.Split(prompts.NotCovered)}
		}
		return nil
	})
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lib := apptest.Library(t, st, nil, nil)
	if err := lib.Ingest(ctx, paper.Demo()); err != nil {
		t.Fatal(err)
	}
	lc := config.Defaults().LLM
	client, err := llm.New(llm.Options{BaseURL: fake.BaseURL, Model: "fake-model", EmbedBatch: lc.EmbedBatch, Timeout: lc.Timeout,
		FirstTokenTimeout: 10 * time.Second, Retries: lc.Retries, Backoff: lc.Backoff, Temperature: lc.Temperature})
	if err != nil {
		t.Fatal(err)
	}
	gen := apptest.Chat(t, lib, client, st)
	f, err := os.Open("testdata/exosome-irradiation-dev.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, err := eval.LoadQA(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if !it.Answerable {
			notCovered[it.Question] = true
		}
	}
	rep, err := eval.RunQA(ctx, gen, items, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range rep.Outcomes {
		t.Logf("%s %s answerable=%v cited=%v top5 refs=%v gold=%v", o.Item.ID, o.Item.Lang, o.Answerable, o.Cited, o.SourceRefs, o.Item.GoldRefs)
	}
	for _, l := range rep.Langs {
		t.Log(l)
		if l.Refusal < 1 {
			t.Errorf("%s: refusal accuracy %.2f, want 1", l.Lang, l.Refusal)
		}
		if l.Lang == paper.LangZH && !(l.CiteGold >= 0.5 && l.RecallAt5 >= 0.5) {
			t.Errorf("zh_CN: cite gold %.2f recall@5 %.2f, want both >= 0.5 with query rewriting", l.CiteGold, l.RecallAt5)
		}
	}
}
