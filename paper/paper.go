// Package paper holds ChatPaper's domain types: a paper with its numbered
// references, the chunks it is split into for retrieval, and its summaries.
// It imports no web, vector-store or model types so every other package can
// depend on it.
package paper

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Paper is one article as ChatPaper serves it. References keep the numbers
// printed in the article, so an answer citing [26] means the article's own
// reference 26.
type Paper struct {
	ID         string      `json:"id"`
	Title      string      `json:"title"`
	TitleZh    string      `json:"title_zh,omitempty"`
	Authors    []string    `json:"authors,omitempty"`
	Journal    string      `json:"journal,omitempty"`
	Year       int         `json:"year,omitempty"`
	DOI        string      `json:"doi,omitempty"`
	Abstract   string      `json:"abstract"`
	AbstractZh string      `json:"abstract_zh,omitempty"`
	References []Reference `json:"references"`
	// Numbering says how reference numbers were assigned: "printed" when
	// the source printed them (labels) and "order" when they follow the
	// order of the list. Empty means "printed".
	Numbering string `json:"numbering,omitempty"`
	// Body is the paper's full text, when its source had one. A paper
	// without a body encodes exactly as before bodies existed, so its
	// JSON form and content hash are unchanged.
	Body *Body `json:"body,omitempty"`
}

// Reference is one entry of a paper's reference list. Cited, Status,
// NoticeDOI and StatusDate come from enrichment (Paper.Enrich) when the
// paper is read; they are never part of a submitted or stored paper.
type Reference struct {
	N    int    `json:"n"`
	Text string `json:"text"`
	DOI  string `json:"doi,omitempty"`
	// Status is empty or one of the Status constants, NoticeDOI the
	// notice that set it and StatusDate that notice's date.
	Status     string `json:"status,omitempty"`
	NoticeDOI  string `json:"notice_doi,omitempty"`
	StatusDate string `json:"status_date,omitempty"`
	Cited      *Cited `json:"cited,omitempty"`
}

// Reference returns the reference numbered n and whether it exists.
func (p *Paper) Reference(n int) (Reference, bool) {
	// References are usually 1..N in order, so try the direct index first.
	if n >= 1 && n <= len(p.References) && p.References[n-1].N == n {
		return p.References[n-1], true
	}
	for _, r := range p.References {
		if r.N == n {
			return r, true
		}
	}
	return Reference{}, false
}

// HasReference reports whether the paper has a reference numbered n.
func (p *Paper) HasReference(n int) bool {
	_, ok := p.Reference(n)
	return ok
}

// Summary is the short text shown in the summary box, in one language.
type Summary struct {
	PaperID   string   `json:"paper_id"`
	Lang      string   `json:"lang"`
	Heading   string   `json:"heading"`
	Summary   string   `json:"summary"`
	KeyPoints []string `json:"key_points"`
	// Source is "extractive" when the text was selected from the paper and
	// "llm" when a model wrote it.
	Source string `json:"source"`
	Model  string `json:"model,omitempty"`
	// TextLang, when set, is the language the summary text is really in
	// when it differs from Lang: an English summary served for zh_CN
	// because there is neither a Chinese abstract nor a model.
	TextLang string `json:"text_lang,omitempty"`
	// Notice, when set, tells the reader in Lang why the summary is not
	// in their language and what would make it so.
	Notice string `json:"notice,omitempty"`
}

// Suggestions are questions a reader might ask about a paper, shown in
// the empty chat in the reader's language.
type Suggestions struct {
	PaperID   string   `json:"paper_id"`
	Lang      string   `json:"lang"`
	Questions []string `json:"questions"`
	// Source is "extractive" when the questions were built from the
	// paper's own terms and "llm" when a model wrote them.
	Source string `json:"source"`
	Model  string `json:"model,omitempty"`
}

// Languages the reader can choose.
const (
	LangEN = "en_US"
	LangZH = "zh_CN"
)

// ValidLang reports whether lang is one of the supported reader languages.
func ValidLang(lang string) bool { return lang == LangEN || lang == LangZH }

// ErrInvalidLang is returned (wrapped) for a reader language other than
// en_US and zh_CN, wherever one is given: a question, a summary, a
// search. Clients see code "invalid_lang".
var ErrInvalidLang = errors.New("invalid lang")

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidID reports whether id can name a paper: 1 to 128 letters, digits,
// dots, underscores or hyphens, not starting with punctuation. IDs appear
// in URLs, so anything else is refused rather than escaped.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// ValidationError says what is wrong with a paper and where.
type ValidationError struct {
	Field string // JSON path of the offending field, e.g. "references[3].n"
	Msg   string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Msg) }

// Is reports whether target is ErrInvalid: a paper that fails validation is
// bad input, whichever way it arrived.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Validate checks the invariants every stored paper keeps: a valid id, a
// title, an abstract, references with positive unique numbers and
// non-empty text, and a body (when there is one) whose ids are unique and
// whose sentences cite only references the paper has. It trims
// surrounding space in place and numbers body parts that have no id.
func (p *Paper) Validate() error {
	p.ID = strings.TrimSpace(p.ID)
	p.Title = strings.TrimSpace(p.Title)
	p.Abstract = strings.TrimSpace(p.Abstract)
	p.AbstractZh = strings.TrimSpace(p.AbstractZh)
	p.TitleZh = strings.TrimSpace(p.TitleZh)
	if p.ID == "" {
		return &ValidationError{"id", "is required"}
	}
	if !ValidID(p.ID) {
		return &ValidationError{"id", fmt.Sprintf("%q must be 1-128 letters, digits, '.', '_' or '-'", p.ID)}
	}
	if p.Title == "" {
		return &ValidationError{"title", "is required"}
	}
	if p.Abstract == "" && p.AbstractZh == "" {
		return &ValidationError{"abstract", "is required"}
	}
	if p.Year < 0 || p.Year > 3000 {
		return &ValidationError{"year", fmt.Sprintf("%d is not a plausible year", p.Year)}
	}
	seen := make(map[int]int, len(p.References))
	for i := range p.References {
		r := &p.References[i]
		r.Text = strings.TrimSpace(r.Text)
		r.DOI = strings.TrimSpace(r.DOI)
		// Enrichment is the registry's word, never the submitter's.
		r.Status, r.NoticeDOI, r.StatusDate, r.Cited = "", "", "", nil
		if r.N <= 0 {
			return &ValidationError{fmt.Sprintf("references[%d].n", i), fmt.Sprintf("must be a positive number, got %d", r.N)}
		}
		if j, dup := seen[r.N]; dup {
			return &ValidationError{fmt.Sprintf("references[%d].n", i), fmt.Sprintf("number %d already used by references[%d]", r.N, j)}
		}
		seen[r.N] = i
		if r.Text == "" {
			return &ValidationError{fmt.Sprintf("references[%d].text", i), "is required"}
		}
	}
	switch p.Numbering {
	case "", "printed", "order":
	default:
		return &ValidationError{"numbering", fmt.Sprintf("%q must be \"printed\" or \"order\"", p.Numbering)}
	}
	return p.validateBody()
}
