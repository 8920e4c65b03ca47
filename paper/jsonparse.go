package paper

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsonKind is what the strict JSON walk expects of a field's value.
type jsonKind int

const (
	kindAny     jsonKind = iota // left to encoding/json
	kindString                  // string
	kindInt                     // integer number
	kindStrings                 // array of strings
	kindRefs                    // array of Reference objects
)

// The expected fields are derived from the struct tags so that a field
// added to Paper or Reference is accepted without touching the walk.
var (
	paperFields     = jsonFields(reflect.TypeFor[Paper]())
	referenceFields = jsonFields(reflect.TypeFor[Reference]())
)

func jsonFields(t reflect.Type) map[string]jsonKind {
	fields := make(map[string]jsonKind, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		kind := kindAny
		switch {
		case f.Type.Kind() == reflect.String:
			kind = kindString
		case f.Type.Kind() == reflect.Int:
			kind = kindInt
		case f.Type == reflect.TypeFor[[]string]():
			kind = kindStrings
		case f.Type == reflect.TypeFor[[]Reference]():
			kind = kindRefs
		}
		fields[name] = kind
	}
	return fields
}

// jsonLocator maps JSON paths ("references[2].n") to the byte offset where
// their value starts, so that validation errors found after decoding can
// still say where in the input the problem is.
type jsonLocator struct {
	data []byte
	pos  map[string]int
}

// find returns the position of field or, failing that, of the closest
// enclosing value that was present; a missing "references[3].text" is
// reported at the start of references[3].
func (l *jsonLocator) find(field string) (line, col int, ok bool) {
	for field != "" {
		if off, found := l.pos[field]; found {
			line, col = position(l.data, off)
			return line, col, true
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return 0, 0, false
}

var utf8BOM = []byte("\ufeff")

// decodeJSON checks and decodes data without validating the result, so that
// Parse can fill in a missing id first.
func decodeJSON(data []byte) (*Paper, *jsonLocator, error) {
	// Editors on Windows like to start files with a byte order mark, which
	// encoding/json refuses; it carries no meaning, so drop it.
	data = bytes.TrimPrefix(data, utf8BOM)
	loc := &jsonLocator{data: data, pos: make(map[string]int)}
	fail := func(off int, field, msg string, cause error) error {
		line, col := position(data, off)
		return &ParseError{Format: FormatJSON, Line: line, Col: col, Field: field, Msg: msg, Err: cause}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, &ParseError{Format: FormatJSON, Msg: "empty input"}
	}

	// Syntax first: decoding into a RawMessage gives exact error offsets,
	// which the token API below does not.
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, nil, fail(int(se.Offset)-1, "", se.Error(), se)
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			end := len(bytes.TrimRight(data, " \t\r\n"))
			return nil, nil, fail(end, "", "unexpected end of input", err)
		default:
			return nil, nil, fail(0, "", err.Error(), err)
		}
	}
	if end := int(dec.InputOffset()); end < len(data) {
		if rest := bytes.TrimLeft(data[end:], " \t\r\n"); len(rest) > 0 {
			return nil, nil, fail(len(data)-len(rest), "", "unexpected data after the paper object", nil)
		}
	}

	// Then shape: encoding/json names neither array indexes nor the place
	// of an unknown field, and it silently keeps the last of duplicate
	// keys, so walk the tokens and check each field against the struct.
	w := &jsonWalker{data: data, dec: json.NewDecoder(bytes.NewReader(data)), loc: loc}
	w.dec.UseNumber()
	if err := w.root(); err != nil {
		return nil, nil, err
	}

	var p Paper
	dec = json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		// Only reachable for field types the walk leaves to encoding/json.
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, nil, fail(int(te.Offset), te.Field, fmt.Sprintf("cannot use %s as %s", te.Value, te.Type), err)
		}
		return nil, nil, fail(0, "", err.Error(), err)
	}
	return &p, loc, nil
}

// validateJSON runs Validate and places any failure in the input.
func validateJSON(p *Paper, loc *jsonLocator) error {
	err := p.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	pe := &ParseError{Format: FormatJSON, Field: ve.Field, Msg: ve.Msg, Err: ve}
	if line, col, ok := loc.find(ve.Field); ok {
		pe.Line, pe.Col = line, col
	}
	return pe
}

// jsonWalker checks the shape of a syntactically valid JSON paper token by
// token, recording where each value starts.
type jsonWalker struct {
	data []byte
	dec  *json.Decoder
	loc  *jsonLocator
}

func (w *jsonWalker) fail(off int, field, msg string) error {
	line, col := position(w.data, off)
	return &ParseError{Format: FormatJSON, Line: line, Col: col, Field: field, Msg: msg}
}

// next returns the next token and the offset of its first byte. The
// decoder's own offset stops before separators, so skip those.
func (w *jsonWalker) next() (json.Token, int, error) {
	off := int(w.dec.InputOffset())
	for off < len(w.data) && strings.IndexByte(" \t\r\n:,", w.data[off]) >= 0 {
		off++
	}
	tok, err := w.dec.Token()
	if err != nil {
		// The syntax was checked before the walk, so this means a bug in
		// the walk; report it rather than panic on input.
		return nil, off, &ParseError{Format: FormatJSON, Msg: fmt.Sprintf("malformed json: %v", err), Err: err}
	}
	return tok, off, nil
}

func (w *jsonWalker) root() error {
	tok, off, err := w.next()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return w.fail(off, "", "the paper must be a JSON object, got "+describeToken(tok))
	}
	return w.object("", paperFields)
}

// object checks the members of an object whose "{" was just read.
func (w *jsonWalker) object(path string, fields map[string]jsonKind) error {
	seen := make(map[string]bool, len(fields))
	for w.dec.More() {
		tok, off, err := w.next()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		kind, known := fields[name]
		if !known {
			// encoding/json would also accept "Title" for "title"; the
			// form has exactly one spelling, so anything else is a typo.
			return w.fail(off, path, fmt.Sprintf("unknown field %q", name))
		}
		field := joinPath(path, name)
		if seen[name] {
			return w.fail(off, field, "duplicate field")
		}
		seen[name] = true
		if err := w.value(field, kind); err != nil {
			return err
		}
	}
	_, _, err := w.next() // "}"
	return err
}

func (w *jsonWalker) value(field string, kind jsonKind) error {
	if kind == kindAny {
		var skip json.RawMessage
		if err := w.dec.Decode(&skip); err != nil {
			return &ParseError{Format: FormatJSON, Field: field, Msg: err.Error(), Err: err}
		}
		return nil
	}
	tok, off, err := w.next()
	if err != nil {
		return err
	}
	w.loc.pos[field] = off
	if tok == nil {
		return nil // null leaves the field empty, as encoding/json does
	}
	switch kind {
	case kindString:
		if _, ok := tok.(string); !ok {
			return w.fail(off, field, "must be a string, got "+describeToken(tok))
		}
	case kindInt:
		num, ok := tok.(json.Number)
		if !ok {
			return w.fail(off, field, "must be an integer, got "+describeToken(tok))
		}
		if _, err := strconv.Atoi(string(num)); err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return w.fail(off, field, fmt.Sprintf("integer %s is out of range", num))
			}
			return w.fail(off, field, "must be an integer, got "+describeToken(tok))
		}
	case kindStrings, kindRefs:
		if tok != json.Delim('[') {
			return w.fail(off, field, "must be an array, got "+describeToken(tok))
		}
		for i := 0; w.dec.More(); i++ {
			if kind == kindRefs && i == MaxReferences {
				line, col := position(w.data, off)
				le := &LimitError{What: "references", Got: MaxReferences + 1, Max: MaxReferences, Setting: "the most any paper may have"}
				return &ParseError{Format: FormatJSON, Line: line, Col: col, Field: field, Msg: "more than " + fmt.Sprint(MaxReferences) + " references", Err: le}
			}
			elem := fmt.Sprintf("%s[%d]", field, i)
			tok, off, err := w.next()
			if err != nil {
				return err
			}
			w.loc.pos[elem] = off
			if kind == kindStrings {
				if _, ok := tok.(string); !ok {
					return w.fail(off, elem, "must be a string, got "+describeToken(tok))
				}
				continue
			}
			if tok != json.Delim('{') {
				return w.fail(off, elem, "must be an object, got "+describeToken(tok))
			}
			if err := w.object(elem, referenceFields); err != nil {
				return err
			}
		}
		if _, _, err := w.next(); err != nil { // "]"
			return err
		}
	}
	return nil
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// describeToken names a token's JSON type, with short scalar values, for
// "must be X, got Y" messages.
func describeToken(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return "object"
		}
		return "array"
	case string:
		if utf8.RuneCountInString(v) > 40 {
			v = string([]rune(v)[:40]) + "…"
		}
		return fmt.Sprintf("string %q", v)
	case json.Number:
		return "number " + string(v)
	case bool:
		return fmt.Sprintf("boolean %t", v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}
