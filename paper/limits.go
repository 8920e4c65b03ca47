package paper

import (
	"errors"
	"fmt"
)

// MaxReferences is the most references any paper may have, whatever the
// configured Limits: the JSON reader stops at it, so a huge list costs
// no more than this many entries to refuse.
const MaxReferences = 50_000

// ErrTooLarge is matched (errors.Is) by a *LimitError: the paper is
// well formed but larger than a configured limit.
var ErrTooLarge = errors.New("paper too large")

// Limits bound the size of one paper at ingest. Zero fields mean no
// limit besides MaxReferences.
type Limits struct {
	// References is the most references (CHATPAPER_MAX_REFERENCES).
	References int
	// TextBytes is the most bytes of text in all fields together: title,
	// abstracts, authors, journal, reference texts and DOIs, body
	// (CHATPAPER_MAX_PAPER_BYTES).
	TextBytes int
	// BodyPassages is the most body passages and captions, as
	// BodyPassages(p, Window) splits them (CHATPAPER_MAX_BODY_PASSAGES).
	BodyPassages int
	// Window is the sentences per body passage the caller splits bodies
	// into (the library's window); 0 or less counts one per sentence.
	Window int
}

// LimitError says which limit a paper exceeds.
type LimitError struct {
	What    string // "references", "text bytes", "body passages", "cached size"
	Got     int64
	Max     int64
	Setting string // the environment variable that sets Max
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("paper has %d %s, more than the limit of %d (%s)", e.Got, e.What, e.Max, e.Setting)
}

// Is reports whether target is ErrTooLarge.
func (e *LimitError) Is(target error) bool { return target == ErrTooLarge }

// CheckLimits returns a *LimitError for the first limit of l that p
// exceeds, or nil.
func (p *Paper) CheckLimits(l Limits) error {
	refs := len(p.References)
	if refs > MaxReferences {
		return &LimitError{What: "references", Got: int64(refs), Max: MaxReferences, Setting: "the most any paper may have"}
	}
	if l.References > 0 && refs > l.References {
		return &LimitError{What: "references", Got: int64(refs), Max: int64(l.References), Setting: "CHATPAPER_MAX_REFERENCES"}
	}
	if n := BodyPassageCount(p, l.Window); l.BodyPassages > 0 && n > l.BodyPassages {
		return &LimitError{What: "body passages", Got: int64(n), Max: int64(l.BodyPassages), Setting: "CHATPAPER_MAX_BODY_PASSAGES"}
	}
	if n := TextBytes(p); l.TextBytes > 0 && n > l.TextBytes {
		return &LimitError{What: "text bytes", Got: int64(n), Max: int64(l.TextBytes), Setting: "CHATPAPER_MAX_PAPER_BYTES"}
	}
	return nil
}

// TextBytes returns the bytes of text in p's fields together.
func TextBytes(p *Paper) int {
	n := len(p.ID) + len(p.Title) + len(p.TitleZh) + len(p.Journal) + len(p.DOI) + len(p.Abstract) + len(p.AbstractZh)
	for _, a := range p.Authors {
		n += len(a)
	}
	for _, r := range p.References {
		n += len(r.Text) + len(r.DOI)
	}
	return n + bodyBytes(p)
}

// BodyPassageCount returns len(BodyPassages(p, window)) without
// building the passages: per section with n sentences, n-window+1
// windows (one when n is smaller), plus one per caption.
func BodyPassageCount(p *Paper, window int) int {
	if p.Body == nil {
		return 0
	}
	window = max(window, 1)
	n := len(p.Body.Captions)
	for _, s := range p.Body.Sections {
		sents := 0
		for _, pg := range s.Paragraphs {
			sents += len(pg.Sentences)
		}
		if sents > 0 {
			n += max(sents-window+1, 1)
		}
	}
	return n
}

// bodyBytes returns the bytes of text in p's body: section titles,
// sentences and caption labels.
func bodyBytes(p *Paper) int {
	if p.Body == nil {
		return 0
	}
	n := 0
	for _, s := range p.Body.Sections {
		n += len(s.Title)
		for _, pg := range s.Paragraphs {
			for _, st := range pg.Sentences {
				n += len(st.Text)
			}
		}
	}
	for _, c := range p.Body.Captions {
		n += len(c.Label)
		for _, st := range c.Sentences {
			n += len(st.Text)
		}
	}
	return n
}
