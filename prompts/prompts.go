// Package prompts holds every piece of wording ChatPaper shows or sends:
// the templates of extractive answers and summaries, and (for model mode)
// the prompts. Wording lives here so the decision logic in rag stays
// language-neutral and the texts can be reviewed in one place.
package prompts

import (
	"embed"
	"fmt"
	"strings"
	"text/template"
)

//go:embed extractive/*.tmpl
var files embed.FS

var extractive = template.Must(template.New("").Funcs(template.FuncMap{
	"join": strings.Join,
}).ParseFS(files, "extractive/*.tmpl"))

// CitedRef is a reference as an extractive answer names it.
type CitedRef struct {
	N int
	// Label is a short human form such as `Valadi et al. (2007),
	// "Exosome-mediated transfer of mRNAs…"`.
	Label string
}

// AnswerData is what an extractive answer template is filled with.
type AnswerData struct {
	// Quote is the most relevant abstract passage, empty when the
	// abstract does not address the question.
	Quote string
	// QuoteLang is "en" or "zh": the language of Quote, so a Chinese
	// answer can flag an English quote.
	QuoteLang string
	Refs      []CitedRef
	// Closest, shown only with the "not covered" answer, are the
	// passages closest to the question: references (N > 0) or abstract
	// passages (N == 0). The answer says they were not judged relevant
	// and names references as "ref. N", not as citations "[N]".
	Closest []CitedRef
}

// ExtractiveAnswer renders the answer for lang (en_US or zh_CN). With no
// quote and no references it renders the "not covered" answer.
func ExtractiveAnswer(lang string, d AnswerData) (string, error) {
	name := "answer_" + lang
	if d.Quote == "" && len(d.Refs) == 0 {
		name = "unanswerable_" + lang
	}
	return render(name, d)
}

// SummaryLabels are the fixed texts of the summary box for one language.
type SummaryLabels struct {
	Heading string
	// RefCount formats the key point that counts the references.
	RefCount string
	// Untranslated is prepended to an English summary shown under a
	// Chinese heading, so the reader knows no translation happened.
	Untranslated string
}

// Summary returns the summary box labels for lang.
func Summary(lang string) SummaryLabels {
	if lang == "zh_CN" {
		return SummaryLabels{Heading: "文章概述", RefCount: "本文引用了 %d 篇参考文献。", Untranslated: "（英文原文摘录）"}
	}
	return SummaryLabels{Heading: "Summary", RefCount: "The paper cites %d references."}
}

func render(name string, data any) (string, error) {
	var b strings.Builder
	if err := extractive.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return strings.TrimSpace(b.String()), nil
}

// IntentData fills the answer to a reader intent (a question about the
// paper as a whole).
type IntentData struct {
	// Text is the passage answering it: the summary, the conclusion
	// sentences, or the reference entry.
	Text string
	// TextLang is "en" or "zh", the language of Text.
	TextLang string
	// FromBody says the conclusions come from a conclusion section
	// rather than the abstract.
	FromBody bool
	// Fields are the metadata asked for, in order; an empty Value says
	// the record lacks it.
	Fields []MetaField
	// N, Found, First and Last describe a reference intent: the number
	// asked for, whether the paper has it, and its reference numbering.
	N, First, Last int
	Found          bool
	// Citing is a sentence of the paper that cites the reference, when
	// the paper's body is known.
	Citing string
}

// MetaField is one metadata field of a metadata answer.
type MetaField struct{ Name, Value string }

// IntentAnswer renders the answer to a reader intent of the given kind
// (summary, conclusions, metadata or reference) in lang.
func IntentAnswer(lang, kind string, d IntentData) (string, error) {
	return render("intent_"+kind+"_"+lang, d)
}
