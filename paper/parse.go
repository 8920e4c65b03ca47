package paper

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrInvalid is matched, through errors.Is, by every error that ParseJSON,
// ParsePageText, Parse and Validate return because of the input itself.
// Callers use it to answer "bad request" instead of "internal error".
var ErrInvalid = errors.New("invalid paper")

// Input formats named in ParseError.Format.
const (
	FormatJSON     = "json"
	FormatPageText = "page text"
)

// ParseError says why an input could not be turned into a valid Paper and
// where: the 1-based line and column (Col is 0 when only the line is known,
// Line is 0 when the problem has no single place, such as a missing title),
// and for JSON the path of the offending field. Every ParseError matches
// ErrInvalid.
type ParseError struct {
	Format string // FormatJSON, FormatPageText, or "" before the format is known
	Line   int
	Col    int
	// Field is the JSON path ("references[3].n") or, for page text, the
	// part of the page ("title", "abstract", "references").
	Field string
	Msg   string
	// Err is the underlying cause, such as a *ValidationError or a
	// *json.SyntaxError, or nil.
	Err error
}

// Error reads "format: line L, column C: field: message", leaving out the
// parts that are unknown.
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Format != "" {
		b.WriteString(e.Format)
		b.WriteString(": ")
	}
	switch {
	case e.Line > 0 && e.Col > 0:
		fmt.Fprintf(&b, "line %d, column %d: ", e.Line, e.Col)
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying cause, if any.
func (e *ParseError) Unwrap() error { return e.Err }

// Is reports whether target is ErrInvalid, so that every parse error counts
// as bad input.
func (e *ParseError) Is(target error) bool { return target == ErrInvalid }

// ParseJSON decodes a paper in ChatPaper's JSON form (one object with the
// field names of the Paper and Reference struct tags, spelled exactly) and
// validates it. It is strict: unknown or duplicate fields, values of the
// wrong type, non-integer numbers and anything after the object are
// errors; null counts as an absent field. Every error it returns matches
// ErrInvalid and is a *ParseError naming the line, column and field path
// where they are known; validation failures also wrap the *ValidationError.
func ParseJSON(data []byte) (*Paper, error) {
	p, loc, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	if err := validateJSON(p, loc); err != nil {
		return nil, err
	}
	return p, nil
}

// ParsePageText extracts a paper from the plain text of an article's web
// page, as copied from a browser: navigation noise, the title line, the
// author line, affiliations, the abstract paragraph, the reference list
// (one paragraph per reference) and the journal footer. The paper gets the
// given id. References printed with numbers ("1. ", "[1] ", "1 ") keep those
// numbers and Numbering "printed"; unnumbered ones are numbered 1..N in page
// order with Numbering "order". Journal, year and DOI are filled when the
// page shows them. The text must be UTF-8. Every error it returns matches
// ErrInvalid and is a *ParseError; a missing title, abstract or reference
// list is reported with the line where the search began.
func ParsePageText(data []byte, id string) (*Paper, error) {
	p, refLines, err := parsePage(data)
	if err != nil {
		return nil, err
	}
	p.ID = id
	if err := p.Validate(); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			pe := &ParseError{Format: FormatPageText, Field: ve.Field, Msg: ve.Msg, Err: ve}
			if i, ok := refIndex(ve.Field); ok && i < len(refLines) {
				pe.Line = refLines[i]
			}
			return nil, pe
		}
		return nil, err
	}
	return p, nil
}

// Parse detects the format of data and parses it with ParseJSON or
// ParsePageText. A JSON media type (application/json or any "+json" type)
// selects JSON and text/plain selects page text; without either (empty,
// application/octet-stream, or the form encoding curl sends by default) the
// content decides: a JSON object start selects JSON, anything else page text.
// A text/plain body that starts like a JSON object is parsed as JSON too,
// because JSON files are often uploaded as text. Other media types are
// rejected.
//
// id names the paper for page text. For JSON, id fills in a missing "id"
// field; when both are present they must agree, so that a paper cannot be
// stored under one id while claiming another.
//
// Every error Parse returns matches ErrInvalid.
func Parse(data []byte, contentType, id string) (*Paper, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &ParseError{Msg: "empty input"}
	}
	asJSON := looksLikeJSONObject(data)
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil {
			return nil, &ParseError{Msg: fmt.Sprintf("malformed content type %q", contentType), Err: err}
		}
		switch {
		case mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json"):
			asJSON = true
		case mt == "text/plain", mt == "application/octet-stream", mt == "application/x-www-form-urlencoded":
			// Keep the sniffed format.
		default:
			return nil, &ParseError{Msg: fmt.Sprintf("unsupported content type %q: want application/json or text/plain", mt)}
		}
	}
	if !asJSON {
		return ParsePageText(data, id)
	}
	p, loc, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	if id = strings.TrimSpace(id); id != "" {
		switch got := strings.TrimSpace(p.ID); {
		case got == "":
			p.ID = id
		case got != id:
			line, col, _ := loc.find("id")
			return nil, &ParseError{Format: FormatJSON, Line: line, Col: col, Field: "id",
				Msg: fmt.Sprintf("%q does not match the requested id %q", got, id)}
		}
	}
	if err := validateJSON(p, loc); err != nil {
		return nil, err
	}
	return p, nil
}

// looksLikeJSONObject reports whether data starts, after white space, with
// "{" followed by a quote or "}". Checking the second character keeps page
// text that starts with an unrendered "{{template}}" line out of JSON.
func looksLikeJSONObject(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(data) == 0 || data[0] != '{' {
		return false
	}
	rest := bytes.TrimLeft(data[1:], " \t\r\n")
	return len(rest) == 0 || rest[0] == '"' || rest[0] == '}'
}

// position converts a byte offset in data into a 1-based line and column.
// Columns count characters, not bytes, to match what editors show.
func position(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	head := data[:off]
	line = 1 + bytes.Count(head, []byte("\n"))
	if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
		head = head[i+1:]
	}
	return line, 1 + utf8.RuneCount(head)
}

// refIndex extracts i from a validation path "references[i]..." so errors
// can point at the reference's place in the input.
func refIndex(field string) (int, bool) {
	rest, ok := strings.CutPrefix(field, "references[")
	if !ok {
		return 0, false
	}
	num, _, ok := strings.Cut(rest, "]")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(num)
	return i, err == nil && i >= 0
}
