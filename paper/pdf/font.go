package pdf

import (
	"strconv"
	"strings"
	"unicode/utf16"
)

// font turns the codes of a shown string into text and advance widths.
type font struct {
	twoByte  bool              // Type0 fonts with 2-byte codes (Identity-H and most CJK CMaps)
	toUni    map[uint32]string // from the ToUnicode CMap
	ranges   []uniRange
	enc      map[uint32]string // from /Differences, for simple fonts
	widths   map[uint32]float64
	defWidth float64 // in 1/1000 text space units
}

type uniRange struct {
	lo, hi uint32
	base   []uint16 // UTF-16 of lo's text; the last unit counts up
	list   []string // or one text per code
}

// maxRange bounds one bfrange so a hostile CMap cannot make lookups slow.
const maxRange = 1 << 16

func (d *document) font(v any) *font {
	fd := d.dict(v)
	f := &font{defWidth: 500}
	if fd == nil {
		return f
	}
	if fd["Subtype"] == name("Type0") {
		f.twoByte = true
		if enc, ok := d.resolve(fd["Encoding"]).(name); ok && !strings.HasSuffix(string(enc), "-H") && !strings.HasSuffix(string(enc), "-V") {
			f.twoByte = false
		}
		if desc := d.array(fd["DescendantFonts"]); len(desc) > 0 {
			cid := d.dict(desc[0])
			f.defWidth = 1000
			if dw, ok := num(d.resolve(cid["DW"])); ok {
				f.defWidth = dw
			}
			f.widths = d.cidWidths(d.array(cid["W"]))
		}
	} else {
		first, _ := d.resolve(fd["FirstChar"]).(int)
		if ws := d.array(fd["Widths"]); len(ws) > 0 && first >= 0 && first < 1<<16 {
			f.widths = map[uint32]float64{}
			for i, w := range ws {
				if x, ok := num(d.resolve(w)); ok && i < 1<<16 {
					f.widths[uint32(first+i)] = x
				}
			}
		}
		if enc := d.dict(fd["Encoding"]); enc != nil {
			f.enc = map[uint32]string{}
			code := 0
			for _, v := range d.array(enc["Differences"]) {
				switch x := d.resolve(v).(type) {
				case int:
					code = x
				case name:
					if code >= 0 && code < 256 {
						if s := glyphText(string(x)); s != "" {
							f.enc[uint32(code)] = s
						}
					}
					code++
				}
			}
		}
	}
	if s, ok := d.resolve(fd["ToUnicode"]).(*stream); ok {
		if b, err := d.decode(s); err == nil {
			f.readCMap(b)
		}
	}
	return f
}

// cidWidths reads a CIDFont /W array: "c [w1 w2 …]" and "c1 c2 w".
func (d *document) cidWidths(a array) map[uint32]float64 {
	out := map[uint32]float64{}
	for i := 0; i < len(a); {
		c, ok := d.resolve(a[i]).(int)
		if !ok || i+1 >= len(a) {
			break
		}
		if list, ok := d.resolve(a[i+1]).(array); ok {
			for j, w := range list {
				if x, ok := num(d.resolve(w)); ok && len(out) < maxRange {
					out[uint32(c+j)] = x
				}
			}
			i += 2
			continue
		}
		if i+2 >= len(a) {
			break
		}
		c2, ok1 := d.resolve(a[i+1]).(int)
		w, ok2 := num(d.resolve(a[i+2]))
		if ok1 && ok2 && c2 >= c && c2-c < maxRange {
			for k := c; k <= c2 && len(out) < maxRange; k++ {
				out[uint32(k)] = w
			}
		}
		i += 3
	}
	return out
}

// readCMap reads the bfchar and bfrange sections of a ToUnicode CMap and
// its code space (one or two bytes per code).
func (f *font) readCMap(b []byte) {
	f.toUni = map[uint32]string{}
	l := &lexer{data: b}
	var args array
	for !l.eof() {
		v := l.next(0)
		k, ok := v.(keyword)
		if !ok {
			args = append(args, v)
			if len(args) > 3*maxRange {
				args = args[len(args)-3:]
			}
			continue
		}
		switch k {
		case "endcodespacerange":
			for i := 0; i+1 < len(args); i += 2 {
				if s, ok := args[i].(string); ok {
					f.twoByte = len(s) >= 2
				}
			}
		case "endbfchar":
			for i := 0; i+1 < len(args); i += 2 {
				src, ok1 := args[i].(string)
				if !ok1 {
					continue
				}
				switch dst := args[i+1].(type) {
				case string:
					f.toUni[code(src)] = utf16Text(dst)
				case name:
					f.toUni[code(src)] = glyphText(string(dst))
				}
			}
		case "endbfrange":
			for i := 0; i+2 < len(args); i += 3 {
				lo, ok1 := args[i].(string)
				hi, ok2 := args[i+1].(string)
				if !ok1 || !ok2 || code(hi) < code(lo) || code(hi)-code(lo) >= maxRange {
					continue
				}
				r := uniRange{lo: code(lo), hi: code(hi)}
				switch dst := args[i+2].(type) {
				case string:
					r.base = utf16Units(dst)
				case array:
					for _, s := range dst {
						t, _ := s.(string)
						r.list = append(r.list, utf16Text(t))
					}
				}
				if len(f.ranges) < maxRange {
					f.ranges = append(f.ranges, r)
				}
			}
		}
		args = args[:0]
	}
}

func code(s string) uint32 {
	var c uint32
	for i := 0; i < len(s) && i < 4; i++ {
		c = c<<8 | uint32(s[i])
	}
	return c
}

func utf16Units(s string) []uint16 {
	u := make([]uint16, 0, len(s)/2)
	for i := 0; i+1 < len(s); i += 2 {
		u = append(u, uint16(s[i])<<8|uint16(s[i+1]))
	}
	return u
}

func utf16Text(s string) string { return string(utf16.Decode(utf16Units(s))) }

// text returns the text of one code.
func (f *font) text(c uint32) string {
	if s, ok := f.toUni[c]; ok {
		return s
	}
	for _, r := range f.ranges {
		if c < r.lo || c > r.hi {
			continue
		}
		off := c - r.lo
		if r.list != nil {
			if int(off) < len(r.list) {
				return r.list[off]
			}
			return ""
		}
		if len(r.base) == 0 {
			return ""
		}
		u := append([]uint16(nil), r.base...)
		u[len(u)-1] += uint16(off)
		return string(utf16.Decode(u))
	}
	if s, ok := f.enc[c]; ok {
		return s
	}
	if f.twoByte {
		// A CID with no Unicode mapping cannot be read.
		return ""
	}
	if c == 0x92 || c == 0x27 {
		return "’"
	}
	if c >= 0x20 && c < 0x7f || c >= 0xa0 && c <= 0xff {
		return string(rune(c))
	}
	return winAnsi[c]
}

// width returns a code's advance in 1/1000 units of the font size.
func (f *font) width(c uint32) float64 {
	if w, ok := f.widths[c]; ok && w > 0 {
		return w
	}
	return f.defWidth
}

// codes splits a shown string into character codes.
func (f *font) codes(s string) []uint32 {
	step := 1
	if f.twoByte {
		step = 2
	}
	out := make([]uint32, 0, len(s)/step)
	for i := 0; i+step <= len(s); i += step {
		out = append(out, code(s[i:i+step]))
	}
	return out
}

var winAnsi = map[uint32]string{
	0x80: "€", 0x85: "…", 0x91: "‘", 0x93: "“", 0x94: "”", 0x95: "•", 0x96: "–", 0x97: "—",
}

// glyphNames maps the Adobe glyph names used in /Differences that are
// not a single letter or a uniXXXX name.
var glyphNames = map[string]string{
	"space": " ", "period": ".", "comma": ",", "colon": ":", "semicolon": ";", "hyphen": "-",
	"parenleft": "(", "parenright": ")", "bracketleft": "[", "bracketright": "]", "slash": "/",
	"quoteright": "’", "quoteleft": "‘", "quotedblleft": "“", "quotedblright": "”", "quotesingle": "'",
	"endash": "–", "emdash": "—", "fi": "ﬁ", "fl": "ﬂ", "ff": "ﬀ", "ffi": "ﬃ", "ffl": "ﬄ",
	"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
	"seven": "7", "eight": "8", "nine": "9", "question": "?", "exclam": "!", "percent": "%",
	"ampersand": "&", "plus": "+", "equal": "=", "less": "<", "greater": ">", "bullet": "•",
}

func glyphText(g string) string {
	if len(g) == 1 && (g[0] >= 'a' && g[0] <= 'z' || g[0] >= 'A' && g[0] <= 'Z') {
		return g
	}
	if s, ok := glyphNames[g]; ok {
		return s
	}
	if strings.HasPrefix(g, "uni") && len(g) == 7 {
		if v, err := strconv.ParseUint(g[3:], 16, 16); err == nil {
			return string(rune(v))
		}
	}
	return ""
}
