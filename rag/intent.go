package rag

import (
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chatpaper/chatpaper/tokenize"
)

// IntentKind names a question a reader asks about the paper as a whole
// rather than about a topic in it. Such questions share no vocabulary
// with the paper ("What is this paper about?"), so retrieval cannot
// answer them; the paper's structure can.
type IntentKind string

// Reader intents. IntentNone means the question is about a topic and
// goes through retrieval.
const (
	IntentNone        IntentKind = ""
	IntentSummary     IntentKind = "summary"
	IntentConclusions IntentKind = "conclusions"
	IntentMetadata    IntentKind = "metadata"
	IntentReference   IntentKind = "reference"
	IntentMethods     IntentKind = "methods"
	IntentResults     IntentKind = "results"
)

// Metadata fields a metadata intent asks for.
const (
	FieldAuthors = "authors"
	FieldJournal = "journal"
	FieldYear    = "year"
	FieldDOI     = "doi"
)

// Intent is a recognised reader intent.
type Intent struct {
	Kind IntentKind
	// Fields are the metadata fields asked for, in the order of
	// FieldAuthors, FieldJournal, FieldYear, FieldDOI (metadata only).
	Fields []string
	// Ref is the reference number asked about (reference only).
	Ref int
}

// RecognizeIntent returns the reader intent of a question, or an Intent
// of kind IntentNone.
//
// The grammar is deliberately small and anchored: a question is split
// into clauses at sentence punctuation, and every clause must match one
// whole pattern of the same intent, so any topic word turns the question
// into IntentNone ("What are the main conclusions?" is a conclusions
// intent, "What are the main conclusions about NK cells?" is not). The
// patterns, after lower-casing and collapsing spaces, are:
//
// English (D is a deictic: "this/the paper|article|review|study|work", "it", "this"):
//   - summary: "[please] summari[sz]e|sum up|give me a summary|overview of [D]",
//     "what is|does D (about|say|cover|discuss)", "what is the main idea|point|gist|topic of D",
//     "tl;dr", "summary";
//   - conclusions: "what are|were D's|the [main|key|major] conclusions|take-home messages|takeaways [of D]",
//     "what does|do D|the authors conclude";
//   - results: "what are|were the [main|key] results|findings [of D]", "what did D|they|the authors find|show";
//   - methods: "what|which methods|methodology|study design|design did|does D|they|the authors use",
//     "how was D done|conducted|performed|designed", "what are|were the methods [of D]";
//   - metadata: "who wrote|authored D", "who are|were the authors [of D]", "who is the author [of D]",
//     "(which|what) journal [and year] [is|was|did] D [published|come out] in", "when|what year was D published",
//     "what is the doi [of|for D]" — a clause may name several fields ("which journal and year…");
//   - reference: a single "reference|ref.|citation [no.|number|#] N" or "[N]" whose remaining words are
//     only question framing ("what does … describe|say|show|cover|discuss|report", "tell me about …").
//
// Chinese (D is 这篇|本|该 followed by 文章|论文|综述|文献|研究|文, or 本文):
//   - summary: "[请][帮我][简单|简要]总结|概括|概述[一下][D]", "D[大概|主要]讲|说|写|介绍|讨论了[些]什么",
//     "D[的]主要内容|主题|内容是什么";
//   - conclusions: "[D的][主要|核心]结论是什么|有哪些|有什么", "作者得出了什么结论";
//   - results: "[D的][主要]结果|发现|研究结果是什么|有哪些";
//   - methods: "[D]用了|采用了|使用了什么|哪些[研究]方法", "[D的][研究]方法是什么";
//   - metadata: "[D的]作者是谁|有哪些|有谁", "[D]是谁写的", "[D]发表在哪个|什么期刊|杂志[上]",
//     "[D是]哪一年|哪年|什么时候发表的", "[D的]doi是什么|多少";
//   - reference: "第N篇|条[参考]文献", "参考文献N", "文献[N]", "[N]" with only framing left
//     (讲了什么, 是什么, 说了什么, 的内容, 介绍).
func RecognizeIntent(text string) Intent {
	if ref, ok := referenceIntent(text); ok {
		return Intent{Kind: IntentReference, Ref: ref}
	}
	clauses := splitClauses(text)
	if len(clauses) == 0 {
		return Intent{}
	}
	var kind IntentKind
	var fields []string
	for _, c := range clauses {
		if politeness[c] {
			continue
		}
		k, fs := matchClause(c)
		if k == IntentNone || (kind != IntentNone && k != kind) {
			return Intent{}
		}
		kind = k
		fields = append(fields, fs...)
	}
	if kind == IntentNone {
		return Intent{}
	}
	if kind == IntentMetadata {
		fields = orderFields(fields)
	}
	return Intent{Kind: kind, Fields: fields}
}

// clauseFold straightens quotes and folds "tl;dr" before splitting. A
// Replacer builds its tables on first use, so it is made once.
var clauseFold = strings.NewReplacer("’", "'", "‘", "'", "tl;dr", "tldr", "tl;dr", "tldr")

// splitClauses lower-cases text and splits it at sentence punctuation,
// collapsing spaces and dropping empty clauses.
func splitClauses(text string) []string {
	text = clauseFold.Replace(strings.ToLower(text))
	parts := strings.FieldsFunc(text, clauseBreak)
	var out []string
	for _, p := range parts {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// asciiDigits are what \d matches, and the only digits reference numbers
// are written in.
const asciiDigits = "0123456789"

// clauseBreak reports whether r ends a clause: sentence punctuation,
// commas, colons and semicolons, full-width or not.
func clauseBreak(r rune) bool {
	switch r {
	case '?', '？', '.', '。', '!', '！', ';', '；', ',', '，', ':', '：', '、':
		return true
	}
	return false
}

// politeness are clauses that add nothing to an intent.
var politeness = setOfWords(`please thanks thank you thx 请 谢谢 麻烦了 hi hello 你好`)

type intentPattern struct {
	kind  IntentKind
	field string // metadata only; "*" means read fields from the clause
	re    *regexp.Regexp
	// max is the most bytes a clause re matches can hold (-1: no
	// bound): a longer clause is skipped without running re.
	max int
}

// English deictics and Chinese deictics, used inside the patterns.
const (
	enD = `(?:(?:this|the) (?:paper|article|review|study|work|manuscript|publication)|this|it)`
	zhD = `(?:(?:这篇|本篇|本|该|这个)(?:文章|论文|综述|文献|研究|文)?|本文|文章|论文|综述)`
)

func pat(kind IntentKind, field, re string) intentPattern {
	re = `^(?:` + strings.NewReplacer("{D}", enD, "{ZD}", zhD).Replace(re) + `)$`
	tree, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		panic(err)
	}
	return intentPattern{kind, field, regexp.MustCompile(re), maxBytes(tree)}
}

// maxBytes returns the most bytes a match of re can span, or -1 when
// unbounded. A byte of invalid UTF-8 matches only as U+FFFD, which counts
// three, so no match spans more.
func maxBytes(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			w := runeBytes(r)
			if re.Flags&syntax.FoldCase != 0 {
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					w = max(w, runeBytes(f))
				}
			}
			n += w
		}
		return n
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return 0
		}
		return runeBytes(re.Rune[len(re.Rune)-1]) // ranges ascend
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	case syntax.OpCapture, syntax.OpQuest:
		return maxBytes(re.Sub[0])
	case syntax.OpRepeat:
		if n := maxBytes(re.Sub[0]); n >= 0 && re.Max >= 0 {
			return n * re.Max
		}
		return -1
	case syntax.OpConcat, syntax.OpAlternate:
		total := 0
		for _, sub := range re.Sub {
			n := maxBytes(sub)
			if n < 0 {
				return -1
			}
			if re.Op == syntax.OpConcat {
				total += n
			} else {
				total = max(total, n)
			}
		}
		return total
	case syntax.OpStar, syntax.OpPlus:
		return -1
	default: // empty matches and assertions
		return 0
	}
}

// runeBytes is the length of r in UTF-8, 3 for a rune UTF-8 cannot hold
// (it matches as U+FFFD).
func runeBytes(r rune) int {
	if n := utf8.RuneLen(r); n > 0 {
		return n
	}
	return 3
}

var intentPatterns = []intentPattern{
	// English.
	pat(IntentSummary, "", `(?:please |can you |could you )?(?:summari[sz]e|sum up|give (?:me )?(?:a |an )?(?:short |brief |quick )?(?:summary|overview|synopsis) of|briefly describe)(?: {D})?(?: for me)?(?: please)?`),
	pat(IntentSummary, "", `(?:please |can you |could you )?give (?:me )?(?:a |an )?(?:short |brief |quick )?(?:summary|overview|synopsis)(?: please)?`),
	pat(IntentSummary, "", `what(?:'s| is| does) {D} (?:about|say|cover|discuss|do)`),
	pat(IntentSummary, "", `what(?:'s| is) the (?:main |central )?(?:idea|point|gist|topic|subject|message) of {D}`),
	pat(IntentSummary, "", `what(?:'s| is) {D}'s (?:main |central )?(?:idea|point|gist|topic|subject|message)`),
	pat(IntentSummary, "", `tldr|tl dr|summary|overview`),
	pat(IntentConclusions, "", `what (?:are|were|is) (?:the |its |{D}'s )?(?:main |key |major |principal |overall )?(?:conclusions?|take-?home messages?|takeaways?)(?: of {D})?`),
	pat(IntentConclusions, "", `what (?:does|do|did) (?:{D}|the authors|they) conclude`),
	pat(IntentResults, "", `what (?:are|were|is) (?:the |its |{D}'s )?(?:main |key |major |principal )?(?:results?|findings?)(?: of {D})?`),
	pat(IntentResults, "", `what (?:did|does|do) (?:{D}|they|the authors) (?:find|show|report|observe)`),
	pat(IntentMethods, "", `(?:what|which) (?:methods?|methodology|study design|design|approach|techniques?) (?:did|does|do|was|were) (?:{D}|they|the authors) (?:use|used|employ|apply)`),
	pat(IntentMethods, "", `what (?:are|were|is) (?:the |its |{D}'s )?(?:methods?|methodology|study design)(?: of {D})?(?: used)?`),
	pat(IntentMethods, "", `how (?:was|were|is) {D} (?:done|conducted|performed|designed|carried out)`),
	pat(IntentMetadata, FieldAuthors, `who (?:wrote|authored|published) {D}`),
	pat(IntentMetadata, FieldAuthors, `who (?:are|were|is) the (?:authors?|writers?)(?: of {D})?`),
	pat(IntentMetadata, FieldAuthors, `(?:who are|list|name) {D}'s authors|(?:list|name) the authors(?: of {D})?`),
	pat(IntentMetadata, "*", `(?:which|what|in which|in what) (?:journal|venue)(?: and (?:year|when))?(?: (?:is|was|did|has))? {D}(?: been)? (?:published|appear|appeared|come out|came out)(?: in)?`),
	pat(IntentMetadata, FieldJournal, `where (?:was|is|did) {D} (?:published|appear|come out)`),
	pat(IntentMetadata, FieldYear, `(?:when|what year|which year|in what year|in which year) (?:was|is|did) {D} (?:published|appear|come out)`),
	pat(IntentMetadata, FieldDOI, `what(?:'s| is) (?:the |its )?doi(?: (?:of|for) {D})?`),
	// Chinese. Chinese clauses carry no spaces; the patterns allow none.
	pat(IntentSummary, "", `(?:请)?(?:帮我|给我)?(?:简单|简要|大致)?(?:地)?(?:总结|概括|概述|介绍)(?:一下)?(?:{ZD})?(?:的)?(?:主要)?(?:内容)?`),
	pat(IntentSummary, "", `{ZD}(?:大概|主要|大致)?(?:讲|说|写|介绍|讨论|研究)(?:了)?(?:些)?(?:什么|啥)(?:内容)?`),
	pat(IntentSummary, "", `{ZD}(?:的)?(?:主要)?(?:内容|主题|大意)是什么`),
	pat(IntentConclusions, "", `(?:{ZD}的?)?(?:主要|核心|最终)?结论(?:是什么|有哪些|有什么)`),
	pat(IntentConclusions, "", `(?:{ZD})?(?:的)?作者(?:得出|得到)了?(?:什么|哪些)结论`),
	pat(IntentResults, "", `(?:{ZD}的?)?(?:主要)?(?:研究)?(?:结果|发现)(?:是什么|有哪些|有什么)`),
	pat(IntentMethods, "", `(?:{ZD})?(?:用了|采用了|使用了|用的是)(?:什么|哪些)(?:研究)?方法`),
	pat(IntentMethods, "", `(?:{ZD}的?)?(?:研究)?方法(?:是什么|有哪些)`),
	pat(IntentMetadata, FieldAuthors, `(?:{ZD}的?)?作者(?:是谁|有哪些|有谁|是哪些人|都有谁)`),
	pat(IntentMetadata, FieldAuthors, `(?:{ZD})?是谁写的`),
	pat(IntentMetadata, FieldJournal, `(?:{ZD})?(?:发表|刊登)(?:在|于)(?:哪个|哪一个|什么|哪本)(?:期刊|杂志)(?:上)?`),
	pat(IntentMetadata, FieldYear, `(?:{ZD})?(?:是)?(?:哪一年|哪年|什么时候)(?:发表|出版)的?`),
	pat(IntentMetadata, FieldDOI, `(?:{ZD}的?)?doi(?:号)?(?:是什么|是多少)`),
}

func matchClause(c string) (IntentKind, []string) {
	cz := c
	if hanShare(c) {
		cz = strings.ReplaceAll(c, " ", "")
	}
	for _, p := range intentPatterns {
		if p.max >= 0 && len(cz) > p.max || !p.re.MatchString(cz) {
			continue
		}
		switch p.field {
		case "":
			return p.kind, nil
		case "*":
			fs := []string{FieldJournal}
			if strings.Contains(c, " year") || strings.Contains(c, " when") {
				fs = append(fs, FieldYear)
			}
			return p.kind, fs
		default:
			return p.kind, []string{p.field}
		}
	}
	return IntentNone, nil
}

func hanShare(s string) bool {
	for _, r := range s {
		if tokenize.IsCJK(r) {
			return true
		}
	}
	return false
}

func orderFields(fs []string) []string {
	var out []string
	for _, f := range []string{FieldAuthors, FieldJournal, FieldYear, FieldDOI} {
		for _, g := range fs {
			if g == f {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

var (
	refMentionRe = regexp.MustCompile(`(?i)(?:第\s*(\d{1,4})\s*(?:篇|条|个|号)?\s*(?:参考)?文献|参考文献\s*[\[［(（]?\s*(\d{1,4})\s*[\]］)）]?|文献\s*[\[［]\s*(\d{1,4})\s*[\]］]|\b(?:references?|refs?\.?|citations?)\s*(?:no\.?\s*|number\s*|#\s*)?(\d{1,4})\b|[\[［]\s*(\d{1,4})\s*[\]］])`)
	// refFraming are the words a reference question may hold besides
	// the reference itself.
	refFramingEn = setOfWords(`what does do did is was about say says said describe describes described show shows
		found find report reports cover covers discuss discusses tell me us the this that in of it its contain contains
		mean means study studies paper article work topic content contents please can could you explain summarize
		summarise`)
	refFramingZh = []string{"讲了什么", "讲的是什么", "讲什么", "说了什么", "是什么", "是哪篇", "的内容", "内容", "主要", "介绍了什么", "介绍", "讲的", "关于什么", "请", "一下", "这篇", "的", "是", "什么", "了"}
)

func setOfWords(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// referenceIntent recognises a question about one numbered reference:
// exactly one reference mention and nothing else but framing.
func referenceIntent(text string) (int, bool) {
	if !strings.ContainsAny(text, asciiDigits) {
		return 0, false // every mention refMentionRe finds holds \d
	}
	ms := refMentionRe.FindAllStringSubmatchIndex(text, -1)
	if len(ms) != 1 {
		return 0, false
	}
	m := ms[0]
	var n int
	for g := 1; g < len(m)/2; g++ {
		if m[2*g] >= 0 {
			n, _ = strconv.Atoi(text[m[2*g]:m[2*g+1]])
			break
		}
	}
	if n <= 0 {
		return 0, false
	}
	rest := strings.ToLower(text[:m[0]] + " " + text[m[1]:])
	// Chinese framing is removed as substrings, longest first.
	for _, f := range refFramingZh {
		rest = strings.ReplaceAll(rest, f, " ")
	}
	for _, w := range strings.FieldsFunc(rest, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'')
	}) {
		if !refFramingEn[w] {
			return 0, false
		}
	}
	return n, true
}
