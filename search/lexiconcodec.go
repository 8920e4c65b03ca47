package search

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"
)

// lexiconMagic starts a Lexicon's binary form; its last byte is the
// layout's version.
const lexiconMagic = "LEX\x02"

// littleEndian hosts use a stored lexicon's words in place.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// AppendBinary appends the lexicon in a binary form that DecodeLexicon
// turns back into an equal lexicon without tokenizing, hashing or
// sorting, as little-endian 32-bit words: the magic, the counts of
// documents, terms and postings and the terms' bytes; the document
// lengths; each term's end in the terms; each term's end in the
// postings; the postings (document, frequency); then the sorted terms
// end to end. The words come first, so a form that starts at a 4-byte
// boundary has every word aligned and DecodeLexicon uses them where they
// lie. The idf values are not stored: DecodeLexicon recomputes them from
// the postings, so a stored lexicon scores exactly as one built by the
// code that reads it. The BM25 parameters are not stored either; the
// reader supplies them.
func (lx *Lexicon) AppendBinary(b []byte) ([]byte, error) {
	le := binary.LittleEndian
	b = append(b, lexiconMagic...)
	b = le.AppendUint32(b, uint32(len(lx.lens)))
	b = le.AppendUint32(b, uint32(len(lx.ends)))
	b = le.AppendUint32(b, uint32(len(lx.post)))
	b = le.AppendUint32(b, uint32(len(lx.terms)))
	for _, l := range lx.lens {
		b = le.AppendUint32(b, math.Float32bits(l))
	}
	for _, e := range lx.ends {
		b = le.AppendUint32(b, e)
	}
	// Postings are written term by term in sorted order (the builder
	// lays them out by first occurrence), each term's end offset first.
	end := uint32(0)
	for _, st := range lx.stats {
		end += uint32(st.end - st.start)
		b = le.AppendUint32(b, end)
	}
	for _, st := range lx.stats {
		for _, p := range lx.post[st.start:st.end] {
			b = le.AppendUint32(b, uint32(p.Doc))
			b = le.AppendUint32(b, math.Float32bits(p.TF))
		}
	}
	return append(b, lx.terms...), nil
}

var errLexicon = errors.New("search: malformed stored lexicon")

// DecodeLexicon reads a lexicon written by AppendBinary from the start of
// b and returns it with the number of bytes it took. It checks every
// offset, so malformed input is an error, never a panic or an index that
// reads outside itself. On a little-endian host, when b starts at a
// 4-byte boundary, the lexicon keeps using b's memory for its terms,
// lengths and postings instead of copying them, so a paper's load
// neither allocates nor writes them a second time: the caller must not
// modify b afterwards.
func DecodeLexicon(b []byte, p BM25) (*Lexicon, int, error) {
	const head = len(lexiconMagic) + 16
	if len(b) < head || string(b[:len(lexiconMagic)]) != lexiconMagic {
		return nil, 0, errLexicon
	}
	o := len(lexiconMagic)
	u32 := func(off int) uint64 { return uint64(binary.LittleEndian.Uint32(b[off:])) }
	nDocs, nTerms, nPost, termBytes := u32(o), u32(o+4), u32(o+8), u32(o+12)
	size := uint64(head) + 4*nDocs + 8*nTerms + 8*nPost + termBytes
	if size > uint64(len(b)) {
		return nil, 0, errLexicon
	}
	rest := b[head:size]
	take := func(n uint64) []byte {
		x := rest[:n:n]
		rest = rest[n:]
		return x
	}
	lens, ends, postEnds, post, terms := take(4*nDocs), take(4*nTerms), take(4*nTerms), take(8*nPost), take(termBytes)
	lx := &Lexicon{bm25: p, stats: make([]termStats, nTerms)}
	if littleEndian && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%4 == 0 {
		lx.lens, lx.ends, lx.post = words[float32](lens), words[uint32](ends), words[Posting](post)
		lx.terms = unsafe.String(unsafe.SliceData(terms), len(terms))
	} else {
		le := binary.LittleEndian
		lx.lens, lx.ends, lx.post = make([]float32, nDocs), make([]uint32, nTerms), make([]Posting, nPost)
		for i := range lx.lens {
			lx.lens[i] = math.Float32frombits(le.Uint32(lens[4*i:]))
		}
		for i := range lx.ends {
			lx.ends[i] = le.Uint32(ends[4*i:])
		}
		for i := range lx.post {
			lx.post[i] = Posting{Doc: int32(le.Uint32(post[8*i:])), TF: math.Float32frombits(le.Uint32(post[8*i+4:]))}
		}
		lx.terms = string(terms)
	}
	var total float64
	for _, n := range lx.lens {
		total += float64(n)
	}
	if nDocs > 0 {
		lx.avg = total / float64(nDocs)
	}
	prev := uint32(0)
	for i, e := range lx.ends {
		if e <= prev && i > 0 || uint64(e) > termBytes {
			return nil, 0, fmt.Errorf("%w: term %d ends at %d", errLexicon, i, e)
		}
		prev = e
	}
	// Most terms of a paper share a handful of document frequencies:
	// compute each one's idf once.
	var idfs [64]float64
	start := int32(0)
	for i := range lx.stats {
		end := binary.LittleEndian.Uint32(postEnds[4*i:])
		if uint64(end) > nPost || int32(end) < start {
			return nil, 0, fmt.Errorf("%w: postings of term %d end at %d", errLexicon, i, end)
		}
		df := int(int32(end) - start)
		var idf float64
		if df < len(idfs) {
			if idfs[df] == 0 {
				idfs[df] = IDF(int(nDocs), df)
			}
			idf = idfs[df]
		} else {
			idf = IDF(int(nDocs), df)
		}
		lx.stats[i] = termStats{idf: idf, start: start, end: int32(end)}
		start = int32(end)
	}
	if uint64(start) != nPost {
		return nil, 0, fmt.Errorf("%w: %d postings, %d listed", errLexicon, nPost, start)
	}
	for i, ps := range lx.post {
		if ps.Doc < 0 || uint64(ps.Doc) >= nDocs {
			return nil, 0, fmt.Errorf("%w: posting %d of document %d of %d", errLexicon, i, ps.Doc, nDocs)
		}
	}
	return lx, int(size), nil
}

// words returns b's bytes as the 4-byte-aligned little-endian words of
// T's fields, in place; nil when b is empty. The caller checked b's
// alignment and the host's byte order.
func words[T float32 | uint32 | Posting](b []byte) []T {
	if len(b) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/int(unsafe.Sizeof(zero)))
}
