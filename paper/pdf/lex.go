package pdf

import (
	"bytes"
	"strconv"
)

// The PDF object model, as far as text extraction needs it.
type (
	name    string
	keyword string
	dict    map[name]any
	array   []any
	objRef  struct{ num, gen int }
	stream  struct {
		dict dict
		raw  []byte
	}
)

// maxNesting bounds arrays and dictionaries inside each other; deeper
// input is cut off rather than recursed into.
const maxNesting = 64

// lexer reads PDF objects and content-stream operators from data. It
// never fails: malformed input yields keywords and nils, and every call
// to next advances, so loops over it end.
type lexer struct {
	data []byte
	pos  int
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	return bytes.IndexByte([]byte("()<>[]{}/%"), c) >= 0
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.data) {
		c := l.data[l.pos]
		switch {
		case isSpace(c):
			l.pos++
		case c == '%':
			for l.pos < len(l.data) && l.data[l.pos] != '\n' && l.data[l.pos] != '\r' {
				l.pos++
			}
		default:
			return
		}
	}
}

// eof reports whether only white space is left.
func (l *lexer) eof() bool {
	l.skipSpace()
	return l.pos >= len(l.data)
}

// next reads one object; operators and stray delimiters come back as
// keywords. At the end it returns nil.
func (l *lexer) next(depth int) any {
	l.skipSpace()
	if l.pos >= len(l.data) {
		return nil
	}
	c := l.data[l.pos]
	switch {
	case c == '/':
		return l.name()
	case c == '(':
		return l.literal()
	case c == '<':
		if l.pos+1 < len(l.data) && l.data[l.pos+1] == '<' {
			l.pos += 2
			return l.dict(depth)
		}
		return l.hex()
	case c == '[':
		l.pos++
		return l.array(depth)
	case c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9'):
		return l.number()
	case isDelim(c):
		l.pos++
		return keyword(string(c))
	}
	start := l.pos
	for l.pos < len(l.data) && !isSpace(l.data[l.pos]) && !isDelim(l.data[l.pos]) {
		l.pos++
	}
	switch w := string(l.data[start:l.pos]); w {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	default:
		return keyword(w)
	}
}

func (l *lexer) name() name {
	l.pos++ // '/'
	var b []byte
	for l.pos < len(l.data) && !isSpace(l.data[l.pos]) && !isDelim(l.data[l.pos]) {
		c := l.data[l.pos]
		if c == '#' && l.pos+2 < len(l.data) {
			if v, err := strconv.ParseUint(string(l.data[l.pos+1:l.pos+3]), 16, 8); err == nil {
				b = append(b, byte(v))
				l.pos += 3
				continue
			}
		}
		b = append(b, c)
		l.pos++
	}
	return name(b)
}

func (l *lexer) literal() string {
	l.pos++ // '('
	var b []byte
	depth := 1
	for l.pos < len(l.data) {
		c := l.data[l.pos]
		l.pos++
		switch c {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return string(b)
			}
		case '\\':
			if l.pos >= len(l.data) {
				return string(b)
			}
			e := l.data[l.pos]
			l.pos++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if l.pos < len(l.data) && l.data[l.pos] == '\n' {
					l.pos++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for i := 0; i < 2 && l.pos < len(l.data) && l.data[l.pos] >= '0' && l.data[l.pos] <= '7'; i++ {
						v = v*8 + int(l.data[l.pos]-'0')
						l.pos++
					}
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		b = append(b, c)
	}
	return string(b)
}

func (l *lexer) hex() string {
	l.pos++ // '<'
	var b []byte
	var hi byte
	half := false
	for l.pos < len(l.data) {
		c := l.data[l.pos]
		l.pos++
		if c == '>' {
			break
		}
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			continue
		}
		if half {
			b = append(b, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		b = append(b, hi<<4)
	}
	return string(b)
}

func (l *lexer) array(depth int) array {
	var a array
	for {
		l.skipSpace()
		if l.pos >= len(l.data) {
			return a
		}
		if l.data[l.pos] == ']' {
			l.pos++
			return a
		}
		if depth >= maxNesting {
			l.pos++
			continue
		}
		v := l.next(depth + 1)
		a = l.foldRef(a, v)
	}
}

// foldRef appends v to a, turning "n g R" into a reference.
func (l *lexer) foldRef(a array, v any) array {
	if k, ok := v.(keyword); ok && k == "R" && len(a) >= 2 {
		num, ok1 := a[len(a)-2].(int)
		gen, ok2 := a[len(a)-1].(int)
		if ok1 && ok2 {
			return append(a[:len(a)-2], objRef{num, gen})
		}
	}
	return append(a, v)
}

func (l *lexer) dict(depth int) dict {
	d := dict{}
	var vals array
	for {
		l.skipSpace()
		if l.pos >= len(l.data) {
			break
		}
		if l.data[l.pos] == '>' {
			l.pos++
			if l.pos < len(l.data) && l.data[l.pos] == '>' {
				l.pos++
			}
			break
		}
		if depth >= maxNesting {
			l.pos++
			continue
		}
		vals = l.foldRef(vals, l.next(depth+1))
	}
	for i := 0; i+1 < len(vals); i += 2 {
		if k, ok := vals[i].(name); ok {
			d[k] = vals[i+1]
		} else {
			i-- // resynchronise on the next name
		}
	}
	return d
}

func (l *lexer) number() any {
	start := l.pos
	l.pos++
	for l.pos < len(l.data) {
		c := l.data[l.pos]
		if (c >= '0' && c <= '9') || c == '.' {
			l.pos++
			continue
		}
		break
	}
	s := string(l.data[start:l.pos])
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return keyword(s)
	}
	return f
}

// num converts an int or float operand to float64.
func num(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}
