package library

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"reflect"
	"strconv"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/search"
)

// fill sets every exported field reachable from v to a distinct non-zero
// value (slices get two elements, pointers a value), so a codec that
// forgets a field — one added to package paper later, say — loses it.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + strconv.Itoa(*n) + " ✓")
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(*n))
	case reflect.Float64, reflect.Float32:
		v.SetFloat(float64(*n) + 0.25)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), n)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n)
			}
		}
	default:
		panic("fill: unhandled kind " + v.Kind().String())
	}
}

// sampleImage is an image of p with dense vectors (4 dimensions, every
// element set) or sparse ones (64 dimensions, 3 set, one of them -0).
func sampleImage(t *testing.T, p *paper.Paper, sparse bool) *image {
	t.Helper()
	chunks := Chunks(p)
	var vecs [][]float32 // nil when there are no chunks, as decoded
	if len(chunks) > 0 {
		vecs = make([][]float32, len(chunks))
	}
	for i := range vecs {
		vecs[i] = []float32{float32(i + 1), -0.5, 1e-30, float32(len(chunks))}
		if sparse {
			vecs[i] = make([]float32, 64)
			vecs[i][i%64], vecs[i][63-i%63] = float32(i+1), float32(math.Copysign(0, -1))
			vecs[i][(i+7)%64] = 0.25
		}
	}
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		texts[i] = c.Text
	}
	return &image{paper: p, version: "hash/3", embedder: "local-4", chunks: chunks, vecs: vecs, lex: search.NewLexicon(texts, search.Robertson)}
}

// sameBits reports whether a and b hold the same vectors bit for bit
// (DeepEqual takes -0 for 0).
func sameBits(a, b [][]float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				return false
			}
		}
	}
	return true
}

// TestImageRoundTrip writes and reads back images of papers with every
// field set, with empty (non-nil) lists, and with nothing but an id, with
// dense and sparse vectors: the paper, the chunks, the vectors (bit for
// bit) and the lexicon come back equal, nil and empty lists included
// (they encode differently as JSON).
func TestImageRoundTrip(t *testing.T) {
	t.Parallel()
	full := &paper.Paper{}
	n := 0
	fill(reflect.ValueOf(full).Elem(), &n)
	empty := &paper.Paper{ID: "empty", Authors: []string{}, References: []paper.Reference{}, Body: &paper.Body{Sections: []paper.Section{{ID: "sec1", Paragraphs: []paper.Paragraph{{ID: "sec1.p1", Sentences: []paper.Sentence{{ID: "s", Text: "One.", Cites: []int{}}}}}}}, Captions: []paper.Caption{}}}
	tests := []struct {
		p      *paper.Paper
		sparse bool
	}{{full, false}, {full, true}, {empty, false}, {&paper.Paper{ID: "bare"}, false}, {paper.Demo(), false}, {paper.Demo(), true}}
	for _, tt := range tests {
		p := tt.p
		dir := t.TempDir()
		im := sampleImage(t, p, tt.sparse)
		if err := writeImage(dir, im); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(imagePath(dir, p.ID))
		if err != nil {
			t.Fatal(err)
		}
		if enc := raw[32]; len(im.vecs) > 0 && (enc == vectorsSparse) != tt.sparse {
			t.Errorf("%s: vector encoding %d, want sparse %v", p.ID, enc, tt.sparse)
		}
		got, err := readImage(dir, p.ID, new(vectorPages))
		if err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		if !reflect.DeepEqual(got.paper, im.paper) {
			t.Errorf("%s: paper\n got %+v\nwant %+v", p.ID, got.paper, im.paper)
		}
		if got.sparse != nil {
			got.vecs, _ = new(vectorPages).take(got.sparse.Len(), got.sparse.Dim(), true)
			got.sparse.fill(got.vecs)
		}
		if !reflect.DeepEqual(got.chunks, im.chunks) || !sameBits(got.vecs, im.vecs) {
			t.Errorf("%s (sparse %v): chunks or vectors differ", p.ID, tt.sparse)
		}
		if got.version != im.version || got.embedder != im.embedder {
			t.Errorf("%s: version %q embedder %q", p.ID, got.version, got.embedder)
		}
		a, _ := im.lex.AppendBinary(nil)
		b, _ := got.lex.AppendBinary(nil)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: lexicon differs", p.ID)
		}
		if _, err := readImage(dir, "another id", new(vectorPages)); err == nil {
			t.Errorf("%s: read as the image of another paper", p.ID)
		}
	}
}

// TestImageDamageDetected flips bytes all over images and cuts them
// short: every damaged image is refused, none panics. The dense vector
// block is the one part the checksum leaves out.
func TestImageDamageDetected(t *testing.T) {
	t.Parallel()
	p := paper.Demo()
	for _, sparse := range []bool{false, true} {
		dir := t.TempDir()
		im := sampleImage(t, p, sparse)
		if err := writeImage(dir, im); err != nil {
			t.Fatal(err)
		}
		path := imagePath(dir, p.ID)
		good, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		skipFrom, skipTo := 0, 0
		if !sparse {
			skipFrom, skipTo = imageHeader, imageHeader+4*len(im.vecs)*len(im.vecs[0])
		}
		step := max(1, len(good)/400)
		for i := 0; i < len(good); i += step {
			if i >= skipFrom && i < skipTo {
				continue
			}
			bad := bytes.Clone(good)
			bad[i] ^= 0x41
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := readImage(dir, p.ID, new(vectorPages)); err == nil {
				t.Fatalf("sparse %v: an image with byte %d of %d flipped was read", sparse, i, len(good))
			}
		}
		for _, cut := range []int{0, 7, imageHeader - 1, imageHeader + 3, len(good) / 2, len(good) - 1} {
			if err := os.WriteFile(path, good[:cut], 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := readImage(dir, p.ID, new(vectorPages)); err == nil {
				t.Fatalf("sparse %v: an image cut to %d of %d bytes was read", sparse, cut, len(good))
			}
		}
	}
}

// FuzzDecodeImage checks that no meta block or text block makes
// decodeImage panic or hand out a string outside its input, and that a
// sparse vector block parseSparse accepts holds what SparseVectors
// promises (checkSparse).
func FuzzDecodeImage(f *testing.F) {
	im := &image{paper: paper.Demo(), version: "v", embedder: "e"}
	im.chunks = Chunks(im.paper)[:3]
	im.vecs = [][]float32{{1, 0}, {0, 1}, {0.6, 0.8}}
	im.lex = search.NewLexicon([]string{im.chunks[0].Text, im.chunks[1].Text, im.chunks[2].Text}, search.Robertson)
	b, err := encodeImage(im)
	if err != nil {
		f.Fatal(err)
	}
	textLen := int(uint32(b[20]) | uint32(b[21])<<8 | uint32(b[22])<<16 | uint32(b[23])<<24)
	text := b[imageHeader+4*6 : imageHeader+4*6+textLen]
	f.Add(text, b[imageHeader+4*6+textLen:], 2)
	f.Add([]byte("x"), []byte{1, 0, 0, 0, 0, 0, 200, 1}, 1)
	f.Fuzz(func(t *testing.T, text, meta []byte, dim int) {
		if dim < 0 || dim > 8 {
			return
		}
		bp := getBlock(len(meta)) // aligned, as a load reads it
		copy(*bp, meta)
		if sp, err := parseSparse(bp, 3, dim); err == nil {
			checkSparse(t, sp, 3, dim)
		}
		im, err := decodeImage(string(text), meta, 3)
		if err != nil {
			return
		}
		if len(im.chunks) != 3 || im.lex.Len() != len(im.chunks) {
			t.Fatalf("%d chunks for 3 vectors, %d lexicon documents", len(im.chunks), im.lex.Len())
		}
	})
}

// TestUvarint2 checks the image reader's inline uvarint decoding against
// binary.Uvarint on every input of one and two bytes, and that it leaves
// longer ones to binary.Uvarint.
func TestUvarint2(t *testing.T) {
	t.Parallel()
	for x := range 1 << 16 {
		for _, b := range [][]byte{{byte(x)}, {byte(x), byte(x >> 8)}, {byte(x), byte(x >> 8), 1}} {
			v, k := uvarint2(b)
			wv, wk := binary.Uvarint(b)
			if k == 0 {
				if wk > 0 && wk <= 2 {
					t.Fatalf("% x: left to binary.Uvarint, which reads %d in %d bytes", b, wv, wk)
				}
				continue
			}
			if v != wv || k != wk {
				t.Fatalf("% x: %d in %d bytes, binary.Uvarint %d in %d", b, v, k, wv, wk)
			}
		}
	}
}

// checkSparse checks what SparseVectors promises of sp, parsed as n
// vectors of dim: each vector's coordinates increase and stay below dim,
// and writing them out densely sets exactly those elements.
func checkSparse(t *testing.T, sp *SparseVectors, n, dim int) {
	t.Helper()
	if sp.Len() != n || sp.Dim() != dim {
		t.Fatalf("%d vectors of %d, want %d of %d", sp.Len(), sp.Dim(), n, dim)
	}
	vecs, _ := new(vectorPages).take(n, dim, true)
	sp.fill(vecs)
	for i, v := range vecs {
		idx, val := sp.Vector(i)
		if len(idx) != len(val) {
			t.Fatalf("vector %d: %d coordinates, %d values", i, len(idx), len(val))
		}
		set := map[int]float32{}
		for j, at := range idx {
			if j > 0 && at <= idx[j-1] || int(at) >= dim {
				t.Fatalf("vector %d: coordinates %v not increasing below %d", i, idx, dim)
			}
			set[int(at)] = val[j]
		}
		for k, x := range v {
			if want, ok := set[k]; math.Float32bits(x) != math.Float32bits(want) || !ok && x != 0 {
				t.Fatalf("vector %d, element %d: %v written out, want %v", i, k, x, want)
			}
		}
	}
}
