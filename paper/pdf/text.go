package pdf

import (
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// matrix is a PDF transformation [a b c d e f].
type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

// mul returns m × n (apply m, then n).
func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

// glyph is one shown character in page space.
type glyph struct {
	x, y, w, size float64
	text          string
}

// maxOps bounds the operators run per page (forms included) and maxGlyphs
// the glyphs kept, so a hostile content stream ends quickly.
const (
	maxOps    = 2_000_000
	maxGlyphs = 500_000
	maxForms  = 8
)

type gstate struct {
	ctm                        matrix
	font                       *font
	size, tc, tw, th, tl, rise float64
}

type interp struct {
	doc    *document
	fonts  map[any]*font
	glyphs []glyph
	ops    int
}

func (in *interp) fontFor(res dict, n name) *font {
	fonts := in.doc.dict(res["Font"])
	v := fonts[n]
	key := any(v)
	if _, ok := v.(objRef); !ok {
		key = n // direct font dictionaries: cache per name
	}
	if f, ok := in.fonts[key]; ok {
		return f
	}
	f := in.doc.font(v)
	in.fonts[key] = f
	return f
}

// run interprets a content stream, collecting glyphs.
func (in *interp) run(content []byte, res dict, ctm matrix, depth int) {
	l := &lexer{data: content}
	gs := gstate{ctm: ctm, th: 1, size: 10, font: &font{defWidth: 500}}
	var stack []gstate
	var tm, tlm matrix
	var args array
	for !l.eof() {
		if in.ops++; in.ops > maxOps || !in.doc.meter.ok() {
			return
		}
		v := l.next(0)
		op, ok := v.(keyword)
		if !ok {
			if len(args) < 64 {
				args = append(args, v)
			}
			continue
		}
		f := func(i int) float64 {
			if i < len(args) {
				x, _ := num(args[i])
				return x
			}
			return 0
		}
		switch op {
		case "q":
			if len(stack) < 256 {
				stack = append(stack, gs)
			}
		case "Q":
			if len(stack) > 0 {
				gs, stack = stack[len(stack)-1], stack[:len(stack)-1]
			}
		case "cm":
			if len(args) == 6 {
				gs.ctm = matrix{f(0), f(1), f(2), f(3), f(4), f(5)}.mul(gs.ctm)
			}
		case "BT":
			tm, tlm = identity, identity
		case "Tf":
			if len(args) == 2 {
				if n, ok := args[0].(name); ok {
					gs.font = in.fontFor(res, n)
				}
				gs.size = f(1)
			}
		case "Tc":
			gs.tc = f(0)
		case "Tw":
			gs.tw = f(0)
		case "Tz":
			gs.th = f(0) / 100
		case "TL":
			gs.tl = f(0)
		case "Ts":
			gs.rise = f(0)
		case "Td", "TD":
			if len(args) == 2 {
				tlm = matrix{1, 0, 0, 1, f(0), f(1)}.mul(tlm)
				tm = tlm
				if op == "TD" {
					gs.tl = -f(1)
				}
			}
		case "Tm":
			if len(args) == 6 {
				tlm = matrix{f(0), f(1), f(2), f(3), f(4), f(5)}
				tm = tlm
			}
		case "T*":
			tlm = matrix{1, 0, 0, 1, 0, -gs.tl}.mul(tlm)
			tm = tlm
		case "Tj", "'", "\"", "TJ":
			if op == "'" || op == "\"" {
				if op == "\"" && len(args) == 3 {
					gs.tw, gs.tc = f(0), f(1)
				}
				tlm = matrix{1, 0, 0, 1, 0, -gs.tl}.mul(tlm)
				tm = tlm
			}
			if len(args) == 0 {
				break
			}
			switch s := args[len(args)-1].(type) {
			case string:
				tm = in.show(s, &gs, tm)
			case array:
				for _, e := range s {
					switch x := e.(type) {
					case string:
						tm = in.show(x, &gs, tm)
					case int, float64:
						adj, _ := num(x)
						tm = matrix{1, 0, 0, 1, -adj / 1000 * gs.size * gs.th, 0}.mul(tm)
					}
				}
			}
		case "Do":
			if len(args) == 1 && depth < maxForms {
				if n, ok := args[0].(name); ok {
					if s, ok := in.doc.resolve(in.doc.dict(res["XObject"])[n]).(*stream); ok && s.dict["Subtype"] == name("Form") {
						if body, err := in.doc.decode(s); err == nil {
							fres := in.doc.dict(s.dict["Resources"])
							if fres == nil {
								fres = res
							}
							m := identity
							if a := in.doc.array(s.dict["Matrix"]); len(a) == 6 {
								for i := range m {
									m[i], _ = num(in.doc.resolve(a[i]))
								}
							}
							in.run(body, fres, m.mul(gs.ctm), depth+1)
						}
					}
				}
			}
		case "BI":
			// Inline image: skip its data up to "EI".
			if i := strings.Index(string(l.data[l.pos:]), "EI"); i >= 0 {
				l.pos += i + 2
			} else {
				l.pos = len(l.data)
			}
		}
		args = args[:0]
	}
}

// show places the glyphs of s and returns the advanced text matrix.
func (in *interp) show(s string, gs *gstate, tm matrix) matrix {
	fnt := gs.font
	for _, c := range fnt.codes(s) {
		trm := matrix{gs.size * gs.th, 0, 0, gs.size, 0, gs.rise}.mul(tm).mul(gs.ctm)
		w0 := fnt.width(c) / 1000
		tx := w0*gs.size + gs.tc
		if !fnt.twoByte && c == 32 {
			tx += gs.tw
		}
		tx *= gs.th
		size := math.Hypot(trm[2], trm[3])
		if t := fnt.text(c); t != "" && len(in.glyphs) < maxGlyphs && in.doc.meter.chargeText(len(t)) {
			// Advance in page space: the text-space advance through
			// the same matrices.
			adv := matrix{1, 0, 0, 1, tx, 0}.mul(tm).mul(gs.ctm)
			base := tm.mul(gs.ctm)
			w := math.Hypot(adv[4]-base[4], adv[5]-base[5])
			in.glyphs = append(in.glyphs, glyph{x: trm[4], y: trm[5], w: w, size: size, text: t})
		}
		tm = matrix{1, 0, 0, 1, tx, 0}.mul(tm)
	}
	return tm
}

// run is a stretch of glyphs on one baseline without a large gap.
type textRun struct {
	x0, x1, y, size float64
	text            strings.Builder
	order           int
}

// runs joins glyphs, in the order they were drawn, into runs: a new run
// starts when the baseline moves or the pen jumps, and a space is put
// where the gap between glyphs is wider than a fifth of the font size.
func runs(gs []glyph) []*textRun {
	var out []*textRun
	var cur *textRun
	var prev glyph
	for _, g := range gs {
		if g.size <= 0 || math.IsNaN(g.x) || math.IsNaN(g.y) || math.IsInf(g.x, 0) || math.IsInf(g.y, 0) {
			continue
		}
		if cur != nil {
			gap := g.x - (prev.x + prev.w)
			sameLine := math.Abs(g.y-prev.y) < 0.4*math.Max(g.size, prev.size)
			if sameLine && gap > -0.5*g.size && gap < 1.5*g.size {
				text := g.text
				if sup, ok := superscript(g, cur); ok {
					text = sup
				} else if gap > 0.2*g.size && !strings.HasSuffix(cur.text.String(), " ") && g.text != " " {
					cur.text.WriteByte(' ')
				}
				cur.text.WriteString(text)
				cur.x1 = math.Max(cur.x1, g.x+g.w)
				prev = g
				continue
			}
		}
		cur = &textRun{x0: g.x, x1: g.x + g.w, y: g.y, size: g.size, order: len(out)}
		cur.text.WriteString(g.text)
		out = append(out, cur)
		prev = g
	}
	return out
}

// superDigits maps ASCII digits and list punctuation to their superscript
// forms, the way citation markers such as "¹²" or "³⁻⁵" are written.
var superForms = map[string]string{
	"0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹",
	"-": "⁻", "–": "⁻", ",": "˒",
}

// superscript returns the superscript form of a glyph set smaller than
// its line and raised above the baseline (a citation or footnote marker),
// so that the text keeps "treatment.¹²" apart from "treatment.12".
func superscript(g glyph, run *textRun) (string, bool) {
	if g.size >= 0.85*run.size || g.y-run.y < 0.2*run.size {
		return "", false
	}
	s, ok := superForms[g.text]
	return s, ok
}

// layout orders a page's runs for reading and returns its lines. Runs
// that cross the gutter (titles, full-width abstracts) split the page
// into bands; within a band the left column is read before the right.
func layout(rs []*textRun, box [4]float64) []string {
	var kept []*textRun
	for _, r := range rs {
		if strings.TrimSpace(r.text.String()) != "" {
			kept = append(kept, r)
		}
	}
	rs = kept
	if len(rs) == 0 {
		return nil
	}
	gutter, ok := findGutter(rs, box)
	sort.SliceStable(rs, func(i, j int) bool {
		if math.Abs(rs[i].y-rs[j].y) > 0.4*math.Min(rs[i].size, rs[j].size) {
			return rs[i].y > rs[j].y
		}
		return rs[i].x0 < rs[j].x0
	})
	var lines []string
	if !ok {
		return joinLines(rs)
	}
	var left, right []*textRun
	lastY := math.Inf(1) // baseline of the lowest run written so far
	flush := func() {
		for _, col := range [][]*textRun{left, right} {
			lines = append(lines, joinLines(col)...)
			for _, r := range col {
				lastY = math.Min(lastY, r.y)
			}
		}
		left, right = nil, nil
	}
	for _, r := range rs {
		switch {
		case r.x0 < gutter && r.x1 > gutter:
			flush()
			if lastY-r.y > 1.9*r.size && len(lines) > 0 && lines[len(lines)-1] != "" {
				lines = append(lines, "")
			}
			lines = append(lines, joinLines([]*textRun{r})...)
			lastY = r.y
		case r.x0 >= gutter:
			right = append(right, r)
		default:
			left = append(left, r)
		}
	}
	flush()
	return lines
}

// findGutter looks for an empty vertical strip in the middle third of the
// page that runs of text lie on both sides of. Runs wider than half the
// page are ignored: they are what spans the columns.
func findGutter(rs []*textRun, box [4]float64) (float64, bool) {
	width := box[2] - box[0]
	if width <= 0 || width > 20000 {
		return 0, false
	}
	const bins = 300
	var cover [bins]int
	bin := func(x float64) int {
		b := int((x - box[0]) / width * bins)
		return min(max(b, 0), bins-1)
	}
	for _, r := range rs {
		if r.x1-r.x0 > width/2 {
			continue
		}
		for b := bin(r.x0); b <= bin(r.x1); b++ {
			cover[b]++
		}
	}
	bestStart, bestLen := -1, 0
	for b := bins / 3; b < 2*bins/3; b++ {
		if cover[b] != 0 {
			continue
		}
		e := b
		for e < 2*bins/3 && cover[e] == 0 {
			e++
		}
		if e-b > bestLen {
			bestStart, bestLen = b, e-b
		}
		b = e
	}
	if bestStart < 0 || float64(bestLen)*width/bins < 6 {
		return 0, false
	}
	g := box[0] + (float64(bestStart)+float64(bestLen)/2)*width/bins
	var l, r int
	for _, t := range rs {
		switch {
		case t.x1 <= g:
			l++
		case t.x0 >= g:
			r++
		}
	}
	return g, l >= 2 && r >= 2
}

// joinLines merges runs on the same baseline (already sorted top to
// bottom, left to right) into lines, with a blank line where the vertical
// gap is more than one and a half lines.
func joinLines(rs []*textRun) []string {
	var lines []string
	var cur strings.Builder
	var y, size float64
	for i, r := range rs {
		t := strings.TrimSpace(r.text.String())
		switch {
		case i == 0:
		case math.Abs(r.y-y) < 0.4*math.Min(r.size, size):
			cur.WriteByte(' ')
		default:
			lines = append(lines, cur.String())
			cur.Reset()
			if y-r.y > 1.9*math.Max(r.size, size) {
				lines = append(lines, "")
			}
		}
		cur.WriteString(t)
		y, size = r.y, r.size
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

var ligatures = strings.NewReplacer("ﬀ", "ff", "ﬁ", "fi", "ﬂ", "fl", "ﬃ", "ffi", "ﬄ", "ffl", "ﬅ", "st", "ﬆ", "st", "\u00ad", "")

// tidy expands ligatures, rejoins words hyphenated at a line end and
// drops control characters.
func tidy(lines []string) string {
	var b strings.Builder
	for i := 0; i < len(lines); i++ {
		l := strings.Map(func(r rune) rune {
			if r == utf8.RuneError || (unicode.IsControl(r) && r != '\t') {
				return -1
			}
			return r
		}, ligatures.Replace(lines[i]))
		if strings.HasSuffix(l, "-") && i+1 < len(lines) && len(l) > 1 {
			next := ligatures.Replace(lines[i+1])
			r, _ := utf8.DecodeRuneInString(next)
			p, _ := utf8.DecodeLastRuneInString(l[:len(l)-1])
			if unicode.IsLower(r) && unicode.IsLetter(p) {
				// Carry the first word of the next line up.
				word, rest, _ := strings.Cut(next, " ")
				b.WriteString(l[:len(l)-1] + word + "\n")
				if lines[i+1] = rest; rest == "" {
					i++
				}
				continue
			}
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
