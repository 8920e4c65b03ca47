package jats

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// node is one element of a parsed document: its local name, attributes by
// local name, and children (elements and text) in document order. A text
// node has an empty name.
type node struct {
	name  string
	attrs map[string]string
	data  string
	kids  []*node
}

// Limits that keep hostile input from exhausting memory or the stack:
// real articles nest under 40 deep and have well under a million nodes.
const (
	maxDepth = 200
	maxNodes = 2_000_000
)

var errTooDeep = errors.New("elements nested too deeply")

// parseTree reads data as XML the way browsers read publisher files: not
// strictly, with HTML entities known and HTML's void elements closed
// automatically, without fetching or validating the DTD. Namespace
// prefixes are dropped (mml:math is "math", xml:lang is "lang").
func parseTree(data []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	// Ignore the declared charset: JATS is UTF-8 in practice, and an
	// unknown charset would otherwise stop the parse.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	root := &node{name: "#document"}
	stack := []*node{root}
	count := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		count++
		if count > maxNodes {
			return nil, errors.New("too many XML nodes")
		}
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) > maxDepth {
				return nil, errTooDeep
			}
			n := &node{name: t.Name.Local}
			for _, a := range t.Attr {
				if n.attrs == nil {
					n.attrs = make(map[string]string, len(t.Attr))
				}
				n.attrs[a.Name.Local] = a.Value
			}
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			// Non-strict decoding may hand us an end tag that does not
			// match; close up to the nearest open element of that name.
			for i := len(stack) - 1; i > 0; i-- {
				if stack[i].name == t.Name.Local {
					stack = stack[:i]
					break
				}
			}
		case xml.CharData:
			top.kids = append(top.kids, &node{data: string(t)})
		}
	}
	return root, nil
}

// attr returns the attribute's value or "".
func (n *node) attr(name string) string { return n.attrs[name] }

// child returns the first child element with the name, or nil.
func (n *node) child(name string) *node {
	if n == nil {
		return nil
	}
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// children returns the child elements with the name.
func (n *node) children(name string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// path follows child names from n, returning nil when one is missing.
func (n *node) path(names ...string) *node {
	for _, name := range names {
		n = n.child(name)
	}
	return n
}

// find returns the elements with the name below n in document order,
// without descending into skipped elements (such as sub-articles) or into
// the matches themselves.
func (n *node) find(name string, skip ...string) []*node {
	var out []*node
	var walk func(*node, int)
	walk = func(m *node, depth int) {
		if depth > maxDepth {
			return
		}
		for _, k := range m.kids {
			switch {
			case k.name == "":
			case k.name == name:
				out = append(out, k)
			case contains(skip, k.name):
			default:
				walk(k, depth+1)
			}
		}
	}
	if n != nil {
		walk(n, 0)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Elements whose text is not part of the reading text of their parent:
// footnote markers, alternative renderings and metadata.
var hidden = map[string]bool{
	"object-id": true, "fn": true, "table-wrap-foot": true,
	"annotation": true, "annotation-xml": true, "tex-math": true, "label": true,
}

// text renders n's content as one line of reading text: text nodes as
// they are, inline markup (<italic>, <sup>, <xref>, formulas) by its text,
// white space squashed. Adjacent elements with nothing between them, such
// as <surname><given-names>, are joined by a space so words never run
// together.
func (n *node) text() string {
	var b strings.Builder
	n.render(&b, 0, false)
	return squash(b.String())
}

func (n *node) render(b *strings.Builder, depth int, inMath bool) {
	if depth > maxDepth {
		return
	}
	// MathML's tokens are one expression: k, =, 3 read as "k=3".
	inMath = inMath || n.name == "math"
	prevElem := false
	for _, k := range n.kids {
		if k.name == "" {
			b.WriteString(k.data)
			prevElem = false
			continue
		}
		if hidden[k.name] {
			continue
		}
		if k.name == "inline-formula" || k.name == "disp-formula" {
			// Prefer the TeX source when a formula carries one, else
			// the text of the MathML.
			if tex := k.find("tex-math"); len(tex) > 0 {
				b.WriteString(strings.TrimSpace(tex[0].plain()))
				prevElem = true
				continue
			}
		}
		if prevElem && !inMath && needsSpace(b) {
			b.WriteByte(' ')
		}
		if k.name == "p" || k.name == "title" || k.name == "sec" {
			if needsSpace(b) {
				b.WriteByte(' ')
			}
		}
		k.render(b, depth+1, inMath)
		prevElem = true
	}
}

// plain returns all text below n, hidden elements included.
func (n *node) plain() string {
	var b strings.Builder
	var walk func(*node, int)
	walk = func(m *node, depth int) {
		if depth > maxDepth {
			return
		}
		for _, k := range m.kids {
			if k.name == "" {
				b.WriteString(k.data)
			} else {
				walk(k, depth+1)
			}
		}
	}
	walk(n, 0)
	return b.String()
}

// needsSpace reports whether the text written so far ends in something
// a following word must be separated from.
func needsSpace(b *strings.Builder) bool {
	s := b.String()
	if s == "" {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(s)
	return !unicode.IsSpace(last) && !strings.ContainsRune("([{/-–‘“'\"", last)
}

// squash collapses runs of white space into single spaces and trims.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }
