// Package crossref reads Crossref's metadata for one work, the JSON that
// api.crossref.org answers to /works/{doi}, into a ChatPaper paper: title,
// authors, journal, year, DOI, abstract (a JATS fragment, when the
// publisher deposited one) and the deposited reference list.
package crossref

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/paper/jats"
)

// Format is the name of this format in errors and results.
const Format = "crossref"

// NoAbstract ends the abstract of a work that Crossref holds no abstract
// for. Such a paper's abstract is its bibliographic description followed
// by this sentence, so that readers are told rather than shown nothing
// and the paper can still be asked about its references.
const NoAbstract = "No abstract was deposited with Crossref for this work."

// flexString accepts a JSON string or number: Crossref writes years and
// volumes both ways.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

type reference struct {
	Key          string     `json:"key"`
	DOI          string     `json:"DOI"`
	Unstructured string     `json:"unstructured"`
	Author       string     `json:"author"`
	Year         flexString `json:"year"`
	ArticleTitle string     `json:"article-title"`
	VolumeTitle  string     `json:"volume-title"`
	SeriesTitle  string     `json:"series-title"`
	JournalTitle string     `json:"journal-title"`
	Volume       flexString `json:"volume"`
	Issue        flexString `json:"issue"`
	FirstPage    flexString `json:"first-page"`
	Edition      flexString `json:"edition"`
	ISBN         string     `json:"ISBN"`
}

// Looks reports whether data is a Crossref work record rather than
// ChatPaper's own JSON: an API envelope ("message-type", "message") or a
// bare work (upper-case "DOI", or "title" as a list).
func Looks(data []byte) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return false
	}
	if _, ok := top["message"]; ok {
		return true
	}
	if _, ok := top["message-type"]; ok {
		return true
	}
	if _, ok := top["DOI"]; ok {
		return true
	}
	if t, ok := top["title"]; ok {
		return len(bytes.TrimSpace(t)) > 0 && bytes.TrimSpace(t)[0] == '['
	}
	return false
}

// Parse reads a Crossref work, either the whole API response
// ({"status":"ok","message-type":"work","message":{…}}) or the message
// alone. The paper gets id, or when id is empty an id made from the DOI.
// References are numbered 1..N in deposit order (Numbering "order"):
// Crossref keys are identifiers, not printed numbers. A reference with
// "unstructured" text keeps it (adding its DOI when the text lacks it);
// one without is rendered from its fields as "Author (Year) Title.
// Journal Volume(Issue): Page. doi:DOI". Every error matches
// paper.ErrInvalid and is a *paper.ParseError.
func Parse(data []byte, id string) (*paper.Paper, error) {
	var env struct {
		Status      string          `json:"status"`
		MessageType string          `json:"message-type"`
		Message     json.RawMessage `json:"message"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, &paper.ParseError{Format: Format, Msg: "malformed JSON: " + err.Error(), Err: err}
	}
	body := data
	if len(env.Message) > 0 {
		if env.MessageType != "" && env.MessageType != "work" {
			return nil, &paper.ParseError{Format: Format, Field: "message-type", Msg: fmt.Sprintf("%q is not a single work", env.MessageType)}
		}
		body = env.Message
	}
	var w Work
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, &paper.ParseError{Format: Format, Field: "message", Msg: "not a Crossref work: " + err.Error(), Err: err}
	}
	p := &paper.Paper{DOI: strings.TrimSpace(w.DOI), Numbering: "order", Title: w.FullTitle(), Journal: w.Container(), Year: w.Year()}
	p.Authors, _ = w.Authors()
	p.Abstract = jats.FragmentText(w.Abstract)
	if p.Abstract == "" && p.Title != "" {
		p.Abstract = describe(p) + " " + NoAbstract
	}
	for _, r := range w.Reference {
		text := r.text()
		if text == "" {
			continue
		}
		p.References = append(p.References, paper.Reference{N: len(p.References) + 1, Text: text, DOI: strings.TrimSpace(r.DOI)})
	}
	if p.ID = strings.TrimSpace(id); p.ID == "" {
		p.ID = jats.IDFromDOI(p.DOI)
	}
	if p.ID == "" {
		return nil, &paper.ParseError{Format: Format, Field: "id", Msg: "no id given and the work has no DOI to make one from"}
	}
	if err := p.Validate(); err != nil {
		pe := &paper.ParseError{Format: Format, Msg: err.Error(), Err: err}
		if ve, ok := err.(*paper.ValidationError); ok {
			pe.Field, pe.Msg = ve.Field, ve.Msg
		}
		return nil, pe
	}
	return p, nil
}

// describe writes the work's bibliographic line: "Title. By A, B and C.
// Journal, Year."
func describe(p *paper.Paper) string {
	parts := []string{sentence(p.Title)}
	switch n := len(p.Authors); {
	case n == 1:
		parts = append(parts, "By "+p.Authors[0]+".")
	case n > 1:
		parts = append(parts, "By "+strings.Join(p.Authors[:n-1], ", ")+" and "+p.Authors[n-1]+".")
	}
	where := p.Journal
	if p.Year != 0 {
		where = strings.TrimSpace(fmt.Sprintf("%s, %d", where, p.Year))
		where = strings.TrimPrefix(where, ", ")
	}
	if where != "" {
		parts = append(parts, sentence(where))
	}
	return strings.Join(parts, " ")
}

func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s != "" && !strings.ContainsRune(".?!", rune(s[len(s)-1])) {
		s += "."
	}
	return s
}

func (r reference) text() string {
	doi := strings.TrimSpace(r.DOI)
	if u := squash(r.Unstructured); u != "" {
		if doi != "" && !strings.Contains(strings.ToLower(u), strings.ToLower(doi)) {
			u = sentence(u) + " doi:" + doi
		}
		return u
	}
	var parts []string
	head := squash(r.Author)
	if y := squash(string(r.Year)); y != "" {
		head = squash(head + " (" + y + ")")
	}
	if head != "" {
		parts = append(parts, head)
	}
	if t := squash(r.ArticleTitle); t != "" {
		parts = append(parts, sentence(t))
	}
	src := squash(r.JournalTitle)
	if src == "" {
		src = squash(r.VolumeTitle)
		if s := squash(r.SeriesTitle); s != "" {
			src = squash(src + " (" + s + ")")
		}
	}
	if v := squash(string(r.Volume)); v != "" {
		src = squash(src + " " + v)
	}
	if is := squash(string(r.Issue)); is != "" {
		src += "(" + is + ")"
	}
	if fp := squash(string(r.FirstPage)); fp != "" {
		if src != "" {
			src += ": " + fp
		} else {
			src = fp
		}
	}
	if src != "" {
		parts = append(parts, sentence(src))
	}
	if e := squash(string(r.Edition)); e != "" {
		parts = append(parts, sentence(e+" edn"))
	}
	if doi != "" {
		parts = append(parts, "doi:"+doi)
	} else if isbn := squash(r.ISBN); isbn != "" {
		parts = append(parts, "ISBN "+isbn)
	}
	if len(parts) == 0 || (head == "" && len(parts) == 1 && doi != "") {
		// Nothing but a DOI: still a reference a reader can follow.
		if doi != "" {
			return "doi:" + doi
		}
		return ""
	}
	return strings.Join(parts, " ")
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }
