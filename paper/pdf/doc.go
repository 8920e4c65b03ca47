package pdf

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"io"
	"sort"
)

// Limits for hostile files besides Limits: pages, and the indirection
// followed.
const (
	maxPages   = 2000
	maxResolve = 32
)

// document is a PDF read object by object. It scans the file for
// "n g obj" rather than trusting the cross-reference table, so files with
// broken offsets (common after careless edits) still read.
type document struct {
	objs  map[int]any
	meter *meter
}

// objHeader is an "n g obj" header: the object number and the offset
// just after "obj".
type objHeader struct{ num, end int }

// objHeaders finds up to limit+1 headers "n g obj" (n of 1 to 10 digits,
// g of 1 to 5, "obj" not followed by a letter or digit). It looks for
// "obj" and reads backwards, which keeps a file full of other tokens
// (such as millions of "4 0 R") linear and cheap to scan.
func objHeaders(data []byte, limit int) []objHeader {
	var out []objHeader
	word := func(c byte) bool {
		return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	}
	space := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
	digits := func(end, most int) int { // start of the digits ending at end
		i := end
		for i > 0 && end-i < most && data[i-1] >= '0' && data[i-1] <= '9' {
			i--
		}
		return i
	}
	spaces := func(end int) int {
		i := end
		for i > 0 && space(data[i-1]) {
			i--
		}
		return i
	}
	for pos := 0; len(out) <= limit; {
		k := bytes.Index(data[pos:], []byte("obj"))
		if k < 0 {
			break
		}
		at := pos + k
		pos = at + 3
		if pos < len(data) && word(data[pos]) {
			continue
		}
		g1 := spaces(at)
		if g1 == at {
			continue
		}
		g0 := digits(g1, 5)
		if g0 == g1 {
			continue
		}
		n1 := spaces(g0)
		if n1 == g0 {
			continue
		}
		n0 := digits(n1, 10)
		if n0 == n1 {
			continue
		}
		out = append(out, objHeader{num: atoi(data[n0:n1]), end: pos})
	}
	return out
}

// readDocument reads data's objects; a limit reached shows in d.meter.err.
func readDocument(data []byte, mt *meter) *document {
	d := &document{objs: map[int]any{}, meter: mt}
	found := objHeaders(data, mt.lim.Objects)
	if len(found) > mt.lim.Objects {
		mt.fail(limitError("more than %d objects", mt.lim.Objects))
		return d
	}
	for _, h := range found {
		if !mt.ok() {
			return d
		}
		n := h.num
		l := &lexer{data: data, pos: h.end}
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
		if mt.err != nil {
			break
		}
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
		if len(d.objs) >= d.meter.lim.Objects {
			d.meter.fail(limitError("more than %d objects", d.meter.lim.Objects))
			return
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
// are supported; other filters (images) yield an error. Every call
// charges what it produces to the document's budget, an unfiltered
// stream's raw bytes included, so a stream used many times costs many
// times; past the budget it fails with the meter's error.
func (d *document) decode(s *stream) ([]byte, error) {
	if !d.meter.ok() {
		return nil, d.meter.err
	}
	filters := []any{}
	switch f := d.resolve(s.dict["Filter"]).(type) {
	case name:
		filters = append(filters, f)
	case array:
		filters = f
	}
	data := s.raw
	if len(filters) == 0 && !d.meter.charge(len(data)) {
		return nil, d.meter.err
	}
	for _, f := range filters {
		switch d.resolve(f) {
		case name("FlateDecode"), name("Fl"):
			out, err := d.inflate(data)
			if err != nil && len(out) == 0 {
				return nil, err
			}
			data = out
		case name("ASCIIHexDecode"), name("AHx"):
			if !d.meter.charge(len(data)/2 + 1) {
				return nil, d.meter.err
			}
			l := &lexer{data: append(append([]byte{'<'}, data...), '>')}
			data = []byte(l.hex())
		default:
			return nil, errors.New("pdf: unsupported stream filter")
		}
	}
	return data, nil
}

// inflate decompresses zlib data (or raw deflate, which some writers
// produce), keeping what it got before a corrupt tail. Output is read in
// pieces, each charged to the budget before it is kept, and joined once
// at the end, so memory stays near what was charged.
func (d *document) inflate(data []byte) ([]byte, error) {
	var r io.Reader
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err == nil {
		r = zr
	} else {
		r = flate.NewReader(bytes.NewReader(data))
	}
	const piece = 64 << 10
	var pieces [][]byte
	size := 0
	for {
		if !d.meter.charge(piece) || !d.meter.ok() {
			return nil, d.meter.err
		}
		p := make([]byte, piece)
		n, err := io.ReadFull(r, p)
		d.meter.refund(piece - n)
		if n > 0 {
			pieces = append(pieces, p[:n])
			size += n
		}
		if err != nil {
			var out []byte
			switch len(pieces) {
			case 0:
			case 1:
				out = pieces[0]
			default:
				out = make([]byte, 0, size)
				for _, p := range pieces {
					out = append(out, p...)
				}
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return out, nil // the end of the stream
			}
			return out, err // a corrupt tail: what came before is kept
		}
	}
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

// contents returns the page's content streams, decoded and joined; the
// join is charged to the budget too. A limit reached returns nil.
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
		if len(c) > d.meter.lim.Contents {
			d.meter.fail(limitError("a page's /Contents has %d streams, more than %d", len(c), d.meter.lim.Contents))
			return nil
		}
		for _, v := range c {
			if add(v); d.meter.err != nil {
				return nil
			}
		}
	case *stream:
		add(c)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	size := len(parts)
	for _, b := range parts {
		size += len(b)
	}
	if !d.meter.charge(size) {
		return nil
	}
	return bytes.Join(parts, []byte("\n"))
}
