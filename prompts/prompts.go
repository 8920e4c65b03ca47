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
	"nums": nums,
}).ParseFS(files, "extractive/*.tmpl"))

// nums writes reference numbers as a bracket list: "[12]", "[3, 5]".
func nums(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprint(n)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// CitedRef is a reference as an extractive answer names it.
type CitedRef struct {
	N int
	// Label is a short human form such as `Valadi et al. (2007),
	// "Exosome-mediated transfer of mRNAs…"`.
	Label string
}

// BodyQuote is a sentence of the paper's body an extractive answer
// quotes, with where it stands.
type BodyQuote struct {
	// Section is the title of the section the sentence is in, or the
	// label of the figure or table whose caption it is.
	Section string
	// Caption is true for a caption, false for a passage of a section.
	Caption bool
	Text    string
	// Lang is "en" or "zh", the language of Text.
	Lang string
	// Cites are the numbers the sentence cites that its text does not
	// already show in brackets (author–year citations, for instance).
	Cites []int
}

// AnswerData is what an extractive answer template is filled with.
type AnswerData struct {
	// Body holds the sentences of the paper's body that answer the
	// question, best first; empty for papers without a body or when the
	// body does not address it.
	Body []BodyQuote
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
	// FullText says the paper has a body, so a refusal speaks of the
	// whole paper rather than of its abstract and reference list.
	FullText bool
}

// ExtractiveAnswer renders the answer for lang (en_US or zh_CN). With no
// body quote, no abstract quote and no references it renders the "not
// covered" answer.
func ExtractiveAnswer(lang string, d AnswerData) (string, error) {
	name := "answer_" + lang
	if len(d.Body) == 0 && d.Quote == "" && len(d.Refs) == 0 {
		name = "unanswerable_" + lang
		if d.FullText {
			name = "unanswerable_fulltext_" + lang
		}
	}
	return render(name, d)
}

// SummaryLabels are the fixed texts of the summary box for one language.
type SummaryLabels struct {
	Heading string
	// RefCount formats the key point that counts the references.
	RefCount string
	// NoTranslation is the notice above an English summary served for
	// Chinese, saying what a Chinese one needs.
	NoTranslation string
}

// Summary returns the summary box labels for lang.
func Summary(lang string) SummaryLabels {
	if lang == "zh_CN" {
		return SummaryLabels{Heading: "文章概述", RefCount: "本文引用了 %d 篇参考文献。", NoTranslation: "本文暂无中文概述：中文概述需要文章的中文摘要，或在服务器上配置语言模型。下面是英文概述。"}
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
	// FromBody says the conclusions come from a section of the body
	// (Section) rather than the abstract; Quotes then hold them.
	FromBody bool
	// Section is the title of the body section a conclusions, methods or
	// results answer comes from, and Parts the titles of its
	// subsections.
	Section string
	Parts   []string
	// Quotes are the body sentences a conclusions, methods or results
	// answer quotes, with the sections they stand in.
	Quotes []BodyQuote
	// Fields are the metadata asked for, in order; an empty Value says
	// the record lacks it.
	Fields []MetaField
	// N, Found, First and Last describe a reference intent: the number
	// asked for, whether the paper has it, and its reference numbering.
	N, First, Last int
	Found          bool
	// Citing are sentences of the paper's body that cite the reference,
	// in document order; empty for papers without a body.
	Citing []BodyQuote
}

// MetaField is one metadata field of a metadata answer.
type MetaField struct{ Name, Value string }

// IntentAnswer renders the answer to a reader intent of the given kind
// (summary, conclusions, metadata, reference, methods or results) in
// lang.
func IntentAnswer(lang, kind string, d IntentData) (string, error) {
	return render("intent_"+kind+"_"+lang, d)
}

// SuggestionWords are the templates of the suggested questions built
// without a model; About, Role, Known, Discuss and CitedOn take a key term.
type SuggestionWords struct {
	MainFinding, Methods, Cited          string
	About, Role, Known, Discuss, CitedOn string
}

// SuggestionWording returns the suggested-question templates for lang.
func SuggestionWording(lang string) SuggestionWords {
	if lang == "zh_CN" {
		return SuggestionWords{
			MainFinding: "这篇文章的主要发现是什么？",
			Methods:     "作者使用了哪些方法？",
			Cited:       "文章引用了哪些相关研究？",
			About:       "本文关于 %s 有哪些发现？",
			Role:        "%s 如何影响结果？",
			Known:       "什么是 %s？",
			Discuss:     "本文如何讨论 %s？",
			CitedOn:     "文章引用了哪些关于 %s 的研究？",
		}
	}
	return SuggestionWords{
		MainFinding: "What is the main finding of this paper?",
		Methods:     "What methods did the authors use?",
		Cited:       "Which earlier studies does the paper build on?",
		About:       "What does the paper conclude about %s?",
		Role:        "What role does %s play in this paper?",
		Known:       "What is known about %s?",
		Discuss:     "How does the paper discuss %s?",
		CitedOn:     "Which studies does the paper cite on %s?",
	}
}
