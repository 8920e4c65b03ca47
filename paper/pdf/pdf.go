// Package pdf extracts the text of article PDFs in pure Go and reads the
// title, abstract and reference list from it. It interprets each page's
// content stream, maps character codes to Unicode through the fonts'
// ToUnicode maps and encodings (so Chinese text in Type0 fonts reads
// correctly), expands ligatures such as ﬁ and ﬀ, and restores reading
// order on two-column pages by finding the gutter between the columns.
// It reads text only: scanned pages (images) yield nothing.
package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/chatpaper/chatpaper/paper"
)

// Format is the name of this format in errors and results.
const Format = "pdf"

// Looks reports whether data starts like a PDF file (the "%PDF-" header
// may follow a little junk, as the format allows).
func Looks(data []byte) bool {
	head := data[:min(len(data), 1024)]
	return bytes.Contains(head, []byte("%PDF-"))
}

// ErrNoText is returned (wrapped in a *paper.ParseError) when a PDF has
// no extractable text, such as a scan.
var ErrNoText = errors.New("the PDF has no extractable text (is it a scan?)")

// Text returns the text of every page in reading order, one line per
// printed line, with a blank line where a paragraph gap is. It never
// panics on malformed input; errors match paper.ErrInvalid, and those of
// a document past DefaultLimits match ErrLimit too.
func Text(data []byte) (text string, err error) {
	return TextLimits(data, DefaultLimits)
}

// TextLimits is Text with the given limits.
func TextLimits(data []byte, lim Limits) (text string, err error) {
	defer func() {
		// The extractor bounds its loops and sizes; this is the last
		// line of defence for a hostile file, reported as bad input.
		if r := recover(); r != nil {
			text, err = "", &paper.ParseError{Format: Format, Msg: fmt.Sprintf("unreadable PDF: %v", r)}
		}
	}()
	if !Looks(data) {
		return "", &paper.ParseError{Format: Format, Msg: "not a PDF: no %PDF- header"}
	}
	mt := newMeter(lim)
	limited := func() error {
		return &paper.ParseError{Format: Format, Msg: mt.err.Error(), Err: mt.err}
	}
	doc := readDocument(data, mt)
	if mt.err != nil {
		return "", limited()
	}
	pages := doc.pages()
	if len(pages) == 0 {
		return "", &paper.ParseError{Format: Format, Msg: "no pages found"}
	}
	in := &interp{doc: doc, fonts: map[any]*font{}}
	var lines []string
	for _, p := range pages {
		in.glyphs = in.glyphs[:0]
		in.run(doc.contents(p), p.resources, identity, 0)
		if mt.err != nil {
			return "", limited()
		}
		lines = append(lines, layout(runs(in.glyphs), p.box)...)
		lines = append(lines, "")
	}
	text = strings.TrimSpace(tidy(lines))
	if text == "" {
		return "", &paper.ParseError{Format: Format, Msg: ErrNoText.Error(), Err: ErrNoText}
	}
	return text + "\n", nil
}

// Parse extracts a PDF's text and reads it as an article page (see
// paper.ParsePageText): title, authors, abstract and the numbered or
// unnumbered reference list. The paper gets id. Every error matches
// paper.ErrInvalid.
func Parse(data []byte, id string) (*paper.Paper, error) {
	text, err := Text(data)
	if err != nil {
		return nil, err
	}
	p, err := paper.ParsePageText([]byte(text), id)
	if err != nil {
		var pe *paper.ParseError
		if errors.As(err, &pe) {
			pe.Format = Format + " (" + pe.Format + ")"
		}
		return nil, err
	}
	return p, nil
}
