package prompts

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"strings"
	"text/template"
)

//go:embed model/*.tmpl
var modelFiles embed.FS

var model = template.Must(template.New("").Funcs(template.FuncMap{
	"join": strings.Join,
	"nums": nums,
}).ParseFS(modelFiles, "model/*.tmpl"))

// NotCovered is what the answer prompt tells the model to reply, alone,
// when the paper does not answer the question.
const NotCovered = "NOT_COVERED"

// Prompt is a rendered system and user message pair.
type Prompt struct {
	System string
	User   string
}

// ContextRef is one reference in an answer's numbered context, under the
// number the paper prints for it.
type ContextRef struct {
	N    int
	Text string
	// Cited is the abstract of the work the reference cites (from
	// enrichment), or empty; the prompt marks it as that work's, not the
	// paper's.
	Cited string
}

// ContextPassage is a passage of the paper's body in an answer's
// context: where it stands and the reference numbers it cites.
type ContextPassage struct {
	// Section is the section's title, or the figure or table label of a
	// caption.
	Section string
	Text    string
	Cites   []int
}

// ModelAnswerData fills the answer prompt.
type ModelAnswerData struct {
	// Lang is the answer's language, en_US or zh_CN.
	Lang     string
	Title    string
	Question string
	// Abstract holds the retrieved abstract passages, best first.
	Abstract []string
	// Body holds the retrieved passages of the paper's body, best
	// first; empty for papers without one, which leaves the prompt as it
	// is for abstract-only papers.
	Body []ContextPassage
	// Refs is the numbered context, best first.
	Refs []ContextRef
}

// ModelAnswer renders the answer prompt.
func ModelAnswer(d ModelAnswerData) (Prompt, error) {
	hasCited := false
	for _, r := range d.Refs {
		hasCited = hasCited || r.Cited != ""
	}
	return renderPair("answer", struct {
		ModelAnswerData
		NotCovered string
		HasCited   bool
	}{d, NotCovered, hasCited})
}

// RewriteData fills the query-rewrite prompt.
type RewriteData struct {
	// Lang is the paper's language, which the queries are written in.
	Lang     string
	Title    string
	Question string
}

// Rewrite renders the prompt that turns a question into search queries
// in the paper's language, one per line.
func Rewrite(d RewriteData) (Prompt, error) { return renderPair("rewrite", d) }

// Turn is an earlier question and answer of a conversation.
type Turn struct {
	Question string
	Answer   string
}

// CondenseData fills the follow-up condensation prompt.
type CondenseData struct {
	Title    string
	Turns    []Turn
	Question string
}

// Condense renders the prompt that makes a follow-up question standalone.
func Condense(d CondenseData) (Prompt, error) { return renderPair("condense", d) }

// SummaryData fills the summary prompt.
type SummaryData struct {
	Lang     string
	Title    string
	Authors  []string
	Journal  string
	Year     int
	Abstract string
}

// ModelSummary renders the summary prompt: a paragraph, then "- " key
// points.
func ModelSummary(d SummaryData) (Prompt, error) { return renderPair("summary", d) }

// SummaryVersion identifies the summary prompt's wording. Cached model
// summaries are keyed by it, so editing the template regenerates them.
var SummaryVersion = func() string {
	b, err := fs.ReadFile(modelFiles, "model/summary.tmpl")
	if err != nil {
		panic(err) // embedded above; cannot happen
	}
	h := sha256.Sum256(b)
	return "summary-" + hex.EncodeToString(h[:6])
}()

// QuestionsData fills the suggested-questions prompt.
type QuestionsData struct {
	Lang     string
	Title    string
	Abstract string
	// Max is how many questions to ask for.
	Max int
}

// ModelQuestions renders the suggested-questions prompt: one "- "
// question per line.
func ModelQuestions(d QuestionsData) (Prompt, error) { return renderPair("questions", d) }

// QuestionsVersion identifies the suggested-questions prompt's wording;
// cached suggestions are keyed by it, as summaries are by SummaryVersion.
var QuestionsVersion = func() string {
	b, err := fs.ReadFile(modelFiles, "model/questions.tmpl")
	if err != nil {
		panic(err) // embedded above; cannot happen
	}
	h := sha256.Sum256(b)
	return "questions-" + hex.EncodeToString(h[:6])
}()

func renderPair(task string, data any) (Prompt, error) {
	var sys, user strings.Builder
	if err := model.ExecuteTemplate(&sys, task+"_system", data); err != nil {
		return Prompt{}, fmt.Errorf("render %s prompt: %w", task, err)
	}
	if err := model.ExecuteTemplate(&user, task+"_user", data); err != nil {
		return Prompt{}, fmt.Errorf("render %s prompt: %w", task, err)
	}
	return Prompt{System: strings.TrimSpace(sys.String()), User: strings.TrimSpace(user.String())}, nil
}
