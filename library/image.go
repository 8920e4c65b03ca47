package library

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"unsafe"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/search"
)

// A load image is a derived copy of one stored version of a paper, one
// file per paper in the library's image folder (Options.Images), laid out
// as a load uses it: a fixed header, the chunk vectors in one block
// (raw little-endian float32, or, when smaller, their non-zero elements:
// see vectorsSparse), every distinct string once in one text block, then
// the meta block: the paper and the chunks with their strings as offsets
// into the text block, and the lexicon (search.Lexicon.AppendBinary) at
// the next multiple of lexiconAlign bytes from the text block's start. A
// load reads the header, the vector block, then the text and meta blocks
// into one allocation that the loaded paper keeps: its strings and its
// lexicon's words are used where they were read, not copied. Loading
// from the store instead reads one database row per chunk, decodes the
// paper's JSON and rebuilds the lexicon.
//
// The store stays the record. An image names the paper id, the
// Store.PaperVersion and the embedder it was made from; a load uses it
// only when all three match what the store and the library hold now, and
// otherwise loads from the store and writes the image again. An image is
// written to a temporary file, synced, and renamed into place, so a
// reader, even after a crash, finds a whole image or none. A CRC-32C of
// the header, the text and meta blocks and a sparse vector block (not a
// dense one: checking it would cost a tenth of a load, and the store's
// own rows carry no checksum either) and the file's size are checked on
// every read, so a damaged image is refused (and rewritten) rather than
// decoded.
//
// Header (little-endian): magic [8]byte, crc uint32, dim uint32 (floats
// per vector), vectors uint32, text uint32 (bytes), meta uint32 (bytes),
// vector block uint32 (bytes), vector encoding uint32, zero padding to
// imageHeader bytes.
const (
	imageMagic  = "CPIMG\x00\x00\x04" // the last byte is the layout's version
	imageHeader = 64
)

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	// littleEndian hosts read vectors straight into their float32s.
	littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1
	errImage     = errors.New("malformed load image")
	// errImageFormat is an image of another layout (an older binary's):
	// not damage, so loading from the store and rewriting it is quiet.
	errImageFormat = errors.New("load image of another format")
)

// image is what a load image holds.
type image struct {
	paper    *paper.Paper // as stored, without enrichment
	version  string       // Store.PaperVersion it was made from
	embedder string       // name of the embedder of its vectors
	chunks   []paper.Chunk
	vecs     [][]float32 // dense vectors (written, or read from a dense block)
	// sparse are the vectors of a sparse block as read: they are made
	// dense only on the paper's second use (Vectors).
	sparse *SparseVectors
	lex    *search.Lexicon
	pages  [][]float32 // the memory of vecs, when read from a file
}

// ImagesFolder is the folder of a data folder that holds the load images
// (Options.Images), whatever the store.
const ImagesFolder = "load-images"

// imagePath is where the image of paper id lives in dir: named by a hash
// of the id, since ids may hold any character.
func imagePath(dir, id string) string {
	h := sha256.Sum256([]byte(id))
	return filepath.Join(dir, hex.EncodeToString(h[:20])+".img")
}

// encodeImage returns im's file form. Every vector must have the same
// length.
func encodeImage(im *image) ([]byte, error) {
	if len(im.vecs) != len(im.chunks) {
		return nil, fmt.Errorf("image: %d vectors for %d chunks", len(im.vecs), len(im.chunks))
	}
	dim := 0
	if len(im.vecs) > 0 {
		dim = len(im.vecs[0])
	}
	for i, v := range im.vecs {
		if len(v) != dim {
			return nil, fmt.Errorf("image: vector %d has %d dimensions, want %d", i, len(v), dim)
		}
	}
	w := &imageWriter{at: map[string]uint32{}}
	w.str(im.paper.ID)
	w.str(im.version)
	w.str(im.embedder)
	w.paper(im.paper)
	w.count(len(im.chunks), false)
	for _, c := range im.chunks {
		w.str(c.ID)
		w.str(string(c.Kind))
		w.int(c.N)
		w.str(c.Lang)
		w.str(c.Text)
	}
	w.alignLexicon()
	meta, err := im.lex.AppendBinary(w.meta)
	if err != nil {
		return nil, err
	}
	vecs := encodeVectors(im.vecs, dim)
	if len(w.text) > math.MaxUint32 || len(meta) > math.MaxUint32 || len(vecs.block) > math.MaxUint32 {
		return nil, errors.New("image: paper too large for a load image")
	}
	out := make([]byte, imageHeader, imageHeader+len(vecs.block)+len(w.text)+len(meta))
	copy(out, imageMagic)
	binary.LittleEndian.PutUint32(out[12:], uint32(dim))
	binary.LittleEndian.PutUint32(out[16:], uint32(len(im.vecs)))
	binary.LittleEndian.PutUint32(out[20:], uint32(len(w.text)))
	binary.LittleEndian.PutUint32(out[24:], uint32(len(meta)))
	binary.LittleEndian.PutUint32(out[28:], uint32(len(vecs.block)))
	binary.LittleEndian.PutUint32(out[32:], vecs.encoding)
	out = append(out, vecs.block...)
	out = append(out, w.text...)
	out = append(out, meta...)
	sum := crc32.Checksum(out[12:imageHeader], castagnoli)
	if vecs.encoding == vectorsDense {
		sum = crc32.Update(sum, castagnoli, out[imageHeader+len(vecs.block):])
	} else {
		sum = crc32.Update(sum, castagnoli, out[imageHeader:])
	}
	binary.LittleEndian.PutUint32(out[8:], sum)
	return out, nil
}

// How an image's vector block holds the vectors.
const (
	// vectorsDense: every vector's dim float32s, one vector after
	// another, read straight into the loaded slab.
	vectorsDense = 0
	// vectorsSparse: each vector's count of non-zero elements
	// ([nvec]uint32), then all their values ([nnz]float32), then their
	// positions ([nnz]uint16), zero-padded to a multiple of 4 bytes. The
	// local embedder's feature-hashing vectors are about a tenth
	// non-zero, so this block is about a seventh of the dense one; it is
	// lossless (an element is zero when all its bits are), so the
	// vectors load bit for bit as stored.
	vectorsSparse = 1
)

type vectorBlock struct {
	encoding uint32
	block    []byte
}

// encodeVectors returns the smaller of the two encodings of vecs.
func encodeVectors(vecs [][]float32, dim int) vectorBlock {
	nnz := 0
	for _, v := range vecs {
		for _, f := range v {
			if math.Float32bits(f) != 0 {
				nnz++
			}
		}
	}
	dense := 4 * dim * len(vecs)
	if sparse := 4*len(vecs) + 6*nnz; dim > math.MaxUint16+1 || sparse >= dense {
		b := make([]byte, 0, dense)
		for _, v := range vecs {
			for _, f := range v {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
			}
		}
		return vectorBlock{vectorsDense, b}
	}
	b := make([]byte, 0, 4*len(vecs)+6*nnz+3)
	for _, v := range vecs {
		c := uint32(0)
		for _, f := range v {
			if math.Float32bits(f) != 0 {
				c++
			}
		}
		b = binary.LittleEndian.AppendUint32(b, c)
	}
	for _, v := range vecs {
		for _, f := range v {
			if bits := math.Float32bits(f); bits != 0 {
				b = binary.LittleEndian.AppendUint32(b, bits)
			}
		}
	}
	for _, v := range vecs {
		for i, f := range v {
			if math.Float32bits(f) != 0 {
				b = binary.LittleEndian.AppendUint16(b, uint16(i))
			}
		}
	}
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return vectorBlock{vectorsSparse, b}
}

// writeImage writes im as the image of its paper in dir, atomically.
func writeImage(dir string, im *image) error {
	b, err := encodeImage(im)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("image folder: %w", err)
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("write image: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), imagePath(dir, im.paper.ID))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write image: %w", err)
	}
	return nil
}

// readImage reads the image of paper id from dir, its vectors into pages
// from vp. It fails with an
// error wrapping fs.ErrNotExist when there is none, and with another
// error when the file is not a whole, intact image of id.
func readImage(dir, id string, vp *vectorPages) (*image, error) {
	f, err := os.Open(imagePath(dir, id))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var hdr [imageHeader]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: header: %v", errImage, err)
	}
	if string(hdr[:8]) != imageMagic {
		return nil, errImageFormat
	}
	u32 := func(off int) uint64 { return uint64(binary.LittleEndian.Uint32(hdr[off:])) }
	sum, dim, nvec, textLen, metaLen, vecLen, enc := uint32(u32(8)), u32(12), u32(16), u32(20), u32(24), u32(28), u32(32)
	switch {
	case imageHeader+vecLen+textLen+metaLen != uint64(st.Size()) || dim == 0 && nvec > 0:
		return nil, fmt.Errorf("%w: sizes do not add up to the file's", errImage)
	case enc == vectorsDense && vecLen != 4*dim*nvec, enc > vectorsSparse,
		// The encoder writes sparse coordinates as uint16: a larger
		// dimension is damage, and would size the dense form's pages.
		enc == vectorsSparse && (dim > math.MaxUint16+1 || vecLen > 4*nvec+6*dim*nvec+3):
		return nil, fmt.Errorf("%w: vector block", errImage)
	}
	crc := crc32.Update(0, castagnoli, hdr[12:])
	var vecs, pages [][]float32
	var sparse *SparseVectors
	fail := func(err error) (*image, error) {
		vp.give(pages)
		sparse.release()
		return nil, err
	}
	if enc == vectorsDense {
		vecs, pages = vp.take(int(nvec), int(dim), false)
		if err := readDense(f, pages, int(nvec)*int(dim)); err != nil {
			return fail(err)
		}
	} else {
		bp := getBlock(int(vecLen))
		if _, err := io.ReadFull(f, *bp); err != nil {
			sparseBlocks.Put(bp)
			return fail(fmt.Errorf("%w: vectors: %v", errImage, err))
		}
		crc = crc32.Update(crc, castagnoli, *bp)
		var err error
		if sparse, err = parseSparse(bp, int(nvec), int(dim)); err != nil {
			sparseBlocks.Put(bp)
			return fail(err)
		}
		if sparse.block == nil { // copied out
			sparseBlocks.Put(bp)
		}
	}
	// The text and meta blocks are read into memory of the paper's own:
	// its strings and its lexicon's words stay where they were read.
	own := make([]byte, textLen+metaLen)
	if _, err := io.ReadFull(f, own); err != nil {
		return fail(fmt.Errorf("%w: text: %v", errImage, err))
	}
	if crc32.Update(crc, castagnoli, own) != sum {
		return fail(fmt.Errorf("%w: checksum mismatch", errImage))
	}
	im, err := decodeImage(unsafe.String(unsafe.SliceData(own), textLen), own[textLen:], int(nvec))
	if err == nil && im.paper.ID != id {
		err = fmt.Errorf("%w: holds paper %q", errImage, im.paper.ID)
	}
	if err != nil {
		return fail(err)
	}
	if nvec > 0 {
		im.vecs, im.pages, im.sparse = vecs, pages, sparse
	}
	return im, nil
}

// readDense reads a vectorsDense block of n floats from f into pages.
func readDense(f *os.File, pages [][]float32, n int) error {
	for _, pg := range pages {
		pg = pg[:min(len(pg), n)]
		n -= len(pg)
		if littleEndian {
			raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(pg))), 4*len(pg))
			if _, err := io.ReadFull(f, raw); err != nil {
				return fmt.Errorf("%w: vectors: %v", errImage, err)
			}
			continue
		}
		raw := make([]byte, 4*len(pg))
		if _, err := io.ReadFull(f, raw); err != nil {
			return fmt.Errorf("%w: vectors: %v", errImage, err)
		}
		for i := range pg {
			pg[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	}
	return nil
}

// decodeImage decodes the meta block of an image whose text block is
// text and whose vector block holds nvec vectors; it leaves the vectors
// to the caller.
func decodeImage(text string, meta []byte, nvec int) (*image, error) {
	r := &imageReader{b: meta, text: text}
	im := &image{}
	id := r.str()
	im.version, im.embedder = r.str(), r.str()
	im.paper = r.paper()
	im.paper.ID = id
	n := r.count()
	if r.err == nil && n != nvec {
		return nil, fmt.Errorf("%w: %d chunks for %d vectors", errImage, n, nvec)
	}
	if n > 0 {
		im.chunks = make([]paper.Chunk, n)
	}
	for i := range im.chunks {
		c := &im.chunks[i]
		c.ID = r.str()
		c.Kind = paper.ChunkKind(r.str())
		c.N = r.int()
		c.Lang = r.str()
		c.Text = r.str()
	}
	// The lexicon starts at the next multiple of lexiconAlign bytes from
	// the text block's start (imageWriter.alignLexicon).
	if pad := -(len(text) + len(meta) - len(r.b)) & (lexiconAlign - 1); r.err == nil && pad <= len(r.b) {
		r.b = r.b[pad:]
	} else if r.err == nil {
		r.fail("lexicon padding")
	}
	if r.err != nil {
		return nil, r.err
	}
	lex, used, err := search.DecodeLexicon(r.b, search.Robertson)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errImage, err)
	}
	if used != len(r.b) || lex.Len() != n {
		return nil, fmt.Errorf("%w: lexicon of %d documents for %d chunks", errImage, lex.Len(), n)
	}
	im.lex = lex
	return im, nil
}

// imageWriter builds an image's text and meta blocks: each string is
// written to the text block once and referred to by offset and length.
type imageWriter struct {
	text []byte
	at   map[string]uint32
	meta []byte
}

// lexiconAlign is the alignment of the lexicon in an image, counted from
// the start of the text block: a load reads the text and meta blocks into
// one allocation, aligned at least as much, so the lexicon's words are
// aligned for search.DecodeLexicon to use in place.
const lexiconAlign = 8

// alignLexicon pads the meta block with zeros up to where the lexicon
// starts.
func (w *imageWriter) alignLexicon() {
	for (len(w.text)+len(w.meta))%lexiconAlign != 0 {
		w.meta = append(w.meta, 0)
	}
}

func (w *imageWriter) uint(v uint64) { w.meta = binary.AppendUvarint(w.meta, v) }
func (w *imageWriter) int(v int)     { w.meta = binary.AppendVarint(w.meta, int64(v)) }

// count writes a slice's length so that a nil slice reads back as nil
// and an empty one as empty: they encode differently as JSON.
func (w *imageWriter) count(n int, isNil bool) {
	if isNil {
		w.uint(0)
		return
	}
	w.uint(uint64(n) + 1)
}

func (w *imageWriter) str(s string) {
	if s == "" {
		w.uint(0)
		w.uint(0)
		return
	}
	off, ok := w.at[s]
	if !ok {
		off = uint32(len(w.text))
		w.text = append(w.text, s...)
		w.at[s] = off
	}
	w.uint(uint64(off))
	w.uint(uint64(len(s)))
}

func (w *imageWriter) strs(ss []string) {
	w.count(len(ss), ss == nil)
	for _, s := range ss {
		w.str(s)
	}
}

func (w *imageWriter) paper(p *paper.Paper) {
	w.str(p.Title)
	w.str(p.TitleZh)
	w.strs(p.Authors)
	w.str(p.Journal)
	w.int(p.Year)
	w.str(p.DOI)
	w.str(p.Abstract)
	w.str(p.AbstractZh)
	w.count(len(p.References), p.References == nil)
	for _, r := range p.References {
		w.int(r.N)
		w.str(r.Text)
		w.str(r.DOI)
		w.str(r.Status)
		w.str(r.NoticeDOI)
		w.str(r.StatusDate)
		if c := r.Cited; c == nil {
			w.uint(0)
		} else {
			w.uint(1)
			w.str(c.DOI)
			w.str(c.Match)
			w.uint(math.Float64bits(c.MatchScore))
			w.str(c.Title)
			w.str(c.Container)
			w.int(c.Year)
			w.str(c.Abstract)
		}
	}
	w.str(p.Numbering)
	if p.Body == nil {
		w.uint(0)
		return
	}
	w.uint(1)
	w.count(len(p.Body.Sections), p.Body.Sections == nil)
	for _, s := range p.Body.Sections {
		w.str(s.ID)
		w.str(s.Title)
		w.int(s.Level)
		w.count(len(s.Paragraphs), s.Paragraphs == nil)
		for _, pg := range s.Paragraphs {
			w.str(pg.ID)
			w.str(pg.Kind)
			w.sentences(pg.Sentences)
		}
	}
	w.count(len(p.Body.Captions), p.Body.Captions == nil)
	for _, c := range p.Body.Captions {
		w.str(c.ID)
		w.str(c.Kind)
		w.str(c.Label)
		w.str(c.Section)
		w.sentences(c.Sentences)
	}
}

func (w *imageWriter) sentences(ss []paper.Sentence) {
	w.count(len(ss), ss == nil)
	for _, s := range ss {
		w.str(s.ID)
		w.str(s.Text)
		w.count(len(s.Cites), s.Cites == nil)
		for _, n := range s.Cites {
			w.int(n)
		}
	}
}

// imageReader decodes a meta block; the first malformed field sets err,
// after which every read returns a zero value.
type imageReader struct {
	b    []byte
	text string
	err  error
}

func (r *imageReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: bad %s", errImage, what)
	}
	r.b = nil // so that uint's fast path finds nothing to read
}

// uint reads a uvarint. An image holds thousands, nearly all of one or
// two bytes (counts, lengths, offsets into the text block): those are
// decoded inline, the rest by uvarint.
func (r *imageReader) uint() uint64 {
	if v, k := uvarint2(r.b); k > 0 {
		r.b = r.b[k:]
		return v
	}
	return r.uvarint()
}

// uvarint2 decodes a uvarint of one or two bytes at the start of b as
// binary.Uvarint does; k is 0 when it is longer or b is too short.
func uvarint2(b []byte) (v uint64, k int) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	if len(b) > 1 && b[1] < 0x80 {
		return uint64(b[0]&0x7f) | uint64(b[1])<<7, 2
	}
	return 0, 0
}

func (r *imageReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.fail("number")
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *imageReader) int() int {
	if r.err != nil {
		return 0
	}
	v, k := binary.Varint(r.b)
	if k <= 0 || v != int64(int(v)) {
		r.fail("integer")
		return 0
	}
	r.b = r.b[k:]
	return int(v)
}

// count reads a length written by imageWriter.count; -1 means nil. A
// length beyond the bytes left (each element takes at least one) is
// malformed, so a corrupt count never allocates much.
func (r *imageReader) count() int {
	n := r.uint()
	if n > uint64(len(r.b))+1 {
		r.fail("count")
		return -1
	}
	return int(n) - 1
}

func (r *imageReader) str() string {
	off, k := uvarint2(r.b) // uint's fast path, inlined here: strings are most of an image's fields
	if k > 0 {
		r.b = r.b[k:]
	} else {
		off = r.uvarint()
	}
	n, k := uvarint2(r.b)
	if k > 0 {
		r.b = r.b[k:]
	} else {
		n = r.uvarint()
	}
	if off > uint64(len(r.text)) || n > uint64(len(r.text))-off {
		r.fail("string")
		return ""
	}
	return r.text[off : off+n]
}

func (r *imageReader) strs() []string {
	n := r.count()
	if n < 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = r.str()
	}
	return out
}

func (r *imageReader) paper() *paper.Paper {
	p := &paper.Paper{}
	p.Title = r.str()
	p.TitleZh = r.str()
	p.Authors = r.strs()
	p.Journal = r.str()
	p.Year = r.int()
	p.DOI = r.str()
	p.Abstract = r.str()
	p.AbstractZh = r.str()
	if n := r.count(); n >= 0 {
		p.References = make([]paper.Reference, n)
	}
	for i := range p.References {
		ref := &p.References[i]
		ref.N = r.int()
		ref.Text = r.str()
		ref.DOI = r.str()
		ref.Status = r.str()
		ref.NoticeDOI = r.str()
		ref.StatusDate = r.str()
		if r.uint() == 1 {
			ref.Cited = &paper.Cited{DOI: r.str(), Match: r.str(), MatchScore: math.Float64frombits(r.uint()), Title: r.str(), Container: r.str(), Year: r.int(), Abstract: r.str()}
		}
	}
	p.Numbering = r.str()
	if r.uint() != 1 {
		return p
	}
	p.Body = &paper.Body{}
	if n := r.count(); n >= 0 {
		p.Body.Sections = make([]paper.Section, n)
	}
	for i := range p.Body.Sections {
		s := &p.Body.Sections[i]
		s.ID = r.str()
		s.Title = r.str()
		s.Level = r.int()
		if n := r.count(); n >= 0 {
			s.Paragraphs = make([]paper.Paragraph, n)
		}
		for j := range s.Paragraphs {
			pg := &s.Paragraphs[j]
			pg.ID = r.str()
			pg.Kind = r.str()
			pg.Sentences = r.sentences()
		}
	}
	if n := r.count(); n >= 0 {
		p.Body.Captions = make([]paper.Caption, n)
	}
	for i := range p.Body.Captions {
		c := &p.Body.Captions[i]
		c.ID = r.str()
		c.Kind = r.str()
		c.Label = r.str()
		c.Section = r.str()
		c.Sentences = r.sentences()
	}
	return p
}

func (r *imageReader) sentences() []paper.Sentence {
	n := r.count()
	if n < 0 {
		return nil
	}
	out := make([]paper.Sentence, n)
	for i := range out {
		s := &out[i]
		s.ID = r.str()
		s.Text = r.str()
		if k := r.count(); k >= 0 {
			s.Cites = make([]int, k)
			for j := range s.Cites {
				s.Cites[j] = r.int()
			}
		}
	}
	return out
}

// saveImage writes the image of lp, the loaded form of raw (the paper as
// stored) at version, when the library keeps images. The caller holds
// the paper's write lock, so images of one paper are written in the
// order its versions were stored. A failure is logged: the paper still
// loads from the store.
func (l *Library) saveImage(raw *paper.Paper, version string, lp *Loaded) {
	if l.images == "" {
		return
	}
	im := &image{paper: raw, version: version, embedder: l.embedder.Name(), chunks: lp.chunks, vecs: lp.vecs, lex: lp.lex}
	if err := writeImage(l.images, im); err != nil {
		l.log.Warn("load image not written; the paper loads from the store", "paper", raw.ID, "err", err)
	}
}

// dropImage removes the image of paper id, if any.
func (l *Library) dropImage(id string) {
	if l.images == "" {
		return
	}
	if err := os.Remove(imagePath(l.images, id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		l.log.Warn("load image of a deleted paper not removed", "paper", id, "err", err)
	}
}

// loadImage returns the image of paper id when it is one of version,
// made by the library's embedder; nil sends the load to the store.
func (l *Library) loadImage(id, version string) *image {
	if l.images == "" {
		return nil
	}
	im, err := readImage(l.images, id, &l.pages)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, errImageFormat):
		return nil
	case err != nil:
		l.log.Warn("load image unusable; loading from the store", "paper", id, "err", err)
		return nil
	case im.version != version || im.embedder != l.embedder.Name():
		l.pages.give(im.pages)
		im.sparse.release()
		return nil
	}
	return im
}

// backfillImage writes the image of a paper just loaded from the store,
// unless the store holds another version of it by now (its writer then
// wrote or will write that version's image).
func (l *Library) backfillImage(ctx context.Context, raw *paper.Paper, version string, lp *Loaded) {
	if l.images == "" {
		return
	}
	wl := l.writeLock(raw.ID)
	wl.Lock()
	defer wl.Unlock()
	if cur, err := l.store.PaperVersion(ctx, raw.ID); err != nil || cur != version {
		return
	}
	l.saveImage(raw, version, lp)
}
