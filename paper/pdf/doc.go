package pdf

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"io"
	"regexp"
	"sort"
)

// Limits for hostile files: decompressed bytes per document, pages, and
// the indirection and nesting followed.
const (
	maxInflated = 64 << 20
	maxPages    = 2000
	maxResolve  = 32
)

var errBudget = errors.New("pdf: decompressed size limit reached")

// document is a PDF read object by object. It scans the file for
// "n g obj" rather than trusting the cross-reference table, so files with
// broken offsets (common after careless edits) still read.
type document struct {
	objs     map[int]any
	inflated int // bytes decompressed so far
}

var objRe = regexp.MustCompile(`(\d{1,10})\s+(\d{1,5})\s+obj\b`)

func readDocument(data []byte) *document {
	d := &document{objs: map[int]any{}}
	for _, m := range objRe.FindAllSubmatchIndex(data, -1) {
		n := atoi(data[m[2]:m[3]])
		l := &lexer{data: data, pos: m[1]}
		v := l.next(0)
		if dct, ok := v.(dict); ok {
			save := l.pos
			if k, ok := l.next(0).(keyword); ok && k == "stream" {
				v = readStream(data, l.pos, dct)
			} else {
				l.pos = save
			}
		}
		// Later definitions (incremental updates) replace earlier ones.
		d.objs[n] = v
	}
	// Objects inside object streams (PDF 1.5) fill the gaps.
	for _, v := range d.sortedObjs() {
		s, ok := v.(*stream)
		if !ok || s.dict["Type"] != name("ObjStm") {
			continue
		}
		d.readObjStm(s)
	}
	return d
}

func (d *document) sortedObjs() []any {
	keys := make([]int, 0, len(d.objs))
	for k := range d.objs {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = d.objs[k]
	}
	return out
}

func atoi(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
		if n > 1<<30 {
			return -1
		}
	}
	return n
}

// readStream returns the stream starting after the "stream" keyword at
// pos, using /Length when it is direct and plausible and the
// "endstream" marker otherwise.
func readStream(data []byte, pos int, dct dict) *stream {
	if pos < len(data) && data[pos] == '\r' {
		pos++
	}
	if pos < len(data) && data[pos] == '\n' {
		pos++
	}
	if n, ok := dct["Length"].(int); ok && n >= 0 && pos+n <= len(data) {
		rest := bytes.TrimLeft(data[pos+n:], " \r\n\t")
		if bytes.HasPrefix(rest, []byte("endstream")) {
			return &stream{dict: dct, raw: data[pos : pos+n]}
		}
	}
	end := bytes.Index(data[pos:], []byte("endstream"))
	if end < 0 {
		return &stream{dict: dct, raw: data[pos:]}
	}
	return &stream{dict: dct, raw: bytes.TrimRight(data[pos:pos+end], "\r\n")}
}

func (d *document) readObjStm(s *stream) {
	body, err := d.decode(s)
	if err != nil {
		return
	}
	n, _ := s.dict["N"].(int)
	first, _ := s.dict["First"].(int)
	if n <= 0 || n > 100000 || first <= 0 || first > len(body) {
		return
	}
	l := &lexer{data: body[:first]}
	for i := 0; i < n; i++ {
		num, ok1 := l.next(0).(int)
		off, ok2 := l.next(0).(int)
		if !ok1 || !ok2 {
			return
		}
		if _, exists := d.objs[num]; exists || off < 0 || first+off >= len(body) {
			continue
		}
		ol := &lexer{data: body, pos: first + off}
		d.objs[num] = ol.next(0)
	}
}

// resolve follows references to the object they name.
func (d *document) resolve(v any) any {
	for i := 0; i < maxResolve; i++ {
		r, ok := v.(objRef)
		if !ok {
			return v
		}
		v = d.objs[r.num]
	}
	return nil
}

func (d *document) dict(v any) dict {
	switch x := d.resolve(v).(type) {
	case dict:
		return x
	case *stream:
		return x.dict
	}
	return nil
}

func (d *document) array(v any) array {
	a, _ := d.resolve(v).(array)
	return a
}

// decode returns a stream's decoded bytes. Flate, ASCIIHex and no filter
// are supported; other filters (images) yield an error.
func (d *document) decode(s *stream) ([]byte, error) {
	filters := []any{}
	switch f := d.resolve(s.dict["Filter"]).(type) {
	case name:
		filters = append(filters, f)
	case array:
		filters = f
	}
	data := s.raw
	for _, f := range filters {
		switch d.resolve(f) {
		case name("FlateDecode"), name("Fl"):
			out, err := d.inflate(data)
			if err != nil && len(out) == 0 {
				return nil, err
			}
			data = out
		case name("ASCIIHexDecode"), name("AHx"):
			l := &lexer{data: append(append([]byte{'<'}, data...), '>')}
			data = []byte(l.hex())
		default:
			return nil, errors.New("pdf: unsupported stream filter")
		}
	}
	return data, nil
}

// inflate decompresses zlib data (or raw deflate, which some writers
// produce), keeping what it got before a corrupt tail.
func (d *document) inflate(data []byte) ([]byte, error) {
	var r io.Reader
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err == nil {
		r = zr
	} else {
		r = flate.NewReader(bytes.NewReader(data))
	}
	left := maxInflated - d.inflated
	if left <= 0 {
		return nil, errBudget
	}
	var buf bytes.Buffer
	_, err = io.Copy(&buf, io.LimitReader(r, int64(left)+1))
	if buf.Len() > left {
		return nil, errBudget
	}
	d.inflated += buf.Len()
	return buf.Bytes(), err
}

// page is one page with its inherited resources and media box.
type page struct {
	dict      dict
	resources dict
	box       [4]float64
}

// pages lists the pages in order by walking the page tree from the
// catalog, or, when there is no usable tree, every /Type /Page object in
// object-number order.
func (d *document) pages() []page {
	var out []page
	seen := map[any]bool{}
	var walk func(v any, res dict, box [4]float64, depth int)
	walk = func(v any, res dict, box [4]float64, depth int) {
		if depth > 64 || len(out) >= maxPages {
			return
		}
		if r, ok := v.(objRef); ok {
			if seen[r] {
				return
			}
			seen[r] = true
		}
		n := d.dict(v)
		if n == nil {
			return
		}
		if r := d.dict(n["Resources"]); r != nil {
			res = r
		}
		if b, ok := d.box(n["MediaBox"]); ok {
			box = b
		}
		if n["Type"] == name("Page") || (n["Kids"] == nil && n["Contents"] != nil) {
			out = append(out, page{dict: n, resources: res, box: box})
			return
		}
		for _, k := range d.array(n["Kids"]) {
			walk(k, res, box, depth+1)
		}
	}
	letter := [4]float64{0, 0, 612, 792}
	for _, v := range d.sortedObjs() {
		if c := d.dict(v); c != nil && c["Type"] == name("Catalog") {
			walk(c["Pages"], nil, letter, 0)
			if len(out) > 0 {
				return out
			}
		}
	}
	for _, v := range d.sortedObjs() {
		if n := d.dict(v); n != nil && n["Type"] == name("Page") {
			res := d.dict(n["Resources"])
			box := letter
			if b, ok := d.box(n["MediaBox"]); ok {
				box = b
			}
			out = append(out, page{dict: n, resources: res, box: box})
			if len(out) >= maxPages {
				break
			}
		}
	}
	return out
}

func (d *document) box(v any) ([4]float64, bool) {
	a := d.array(v)
	var b [4]float64
	if len(a) != 4 {
		return b, false
	}
	for i := range b {
		f, ok := num(d.resolve(a[i]))
		if !ok {
			return b, false
		}
		b[i] = f
	}
	if b[2] <= b[0] || b[3] <= b[1] {
		return b, false
	}
	return b, true
}

// contents returns the page's content streams, decoded and joined.
func (d *document) contents(p page) []byte {
	var parts [][]byte
	add := func(v any) {
		if s, ok := d.resolve(v).(*stream); ok {
			if b, err := d.decode(s); err == nil {
				parts = append(parts, b)
			}
		}
	}
	switch c := d.resolve(p.dict["Contents"]).(type) {
	case array:
		for _, v := range c {
			add(v)
		}
	case *stream:
		add(c)
	}
	return bytes.Join(parts, []byte("\n"))
}
