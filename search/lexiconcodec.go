package search

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// lexiconMagic starts a Lexicon's binary form; its last byte is the
// layout's version.
const lexiconMagic = "LEX\x01"

// AppendBinary appends the lexicon in a binary form that DecodeLexicon
// turns back into an equal lexicon without tokenizing, hashing or
// sorting: the document lengths, the sorted terms end to end, and each
// term's postings, as little-endian 32-bit words. The idf values are not
// stored: DecodeLexicon recomputes them from the postings, so a stored
// lexicon scores exactly as one built by the code that reads it. The BM25
// parameters are not stored either; the reader supplies them.
func (lx *Lexicon) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, lexiconMagic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(lx.lens)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(lx.ends)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(lx.post)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(lx.terms)))
	for _, l := range lx.lens {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(l))
	}
	b = append(b, lx.terms...)
	for _, e := range lx.ends {
		b = binary.LittleEndian.AppendUint32(b, e)
	}
	// Postings are written term by term in sorted order (the builder
	// lays them out by first occurrence), each term's end offset first.
	end := uint32(0)
	for _, st := range lx.stats {
		end += uint32(st.end - st.start)
		b = binary.LittleEndian.AppendUint32(b, end)
	}
	for _, st := range lx.stats {
		for _, p := range lx.post[st.start:st.end] {
			b = binary.LittleEndian.AppendUint32(b, uint32(p.Doc))
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.TF))
		}
	}
	return b, nil
}

var errLexicon = errors.New("search: malformed stored lexicon")

// DecodeLexicon reads a lexicon written by AppendBinary from the start of
// b and returns it with the number of bytes it took. It checks every
// offset, so malformed input is an error, never a panic or an index that
// reads outside itself.
func DecodeLexicon(b []byte, p BM25) (*Lexicon, int, error) {
	const head = len(lexiconMagic) + 16
	if len(b) < head || string(b[:len(lexiconMagic)]) != lexiconMagic {
		return nil, 0, errLexicon
	}
	o := len(lexiconMagic)
	u32 := func(off int) uint64 { return uint64(binary.LittleEndian.Uint32(b[off:])) }
	nDocs, nTerms, nPost, termBytes := u32(o), u32(o+4), u32(o+8), u32(o+12)
	size := uint64(head) + 4*nDocs + termBytes + 8*nTerms + 8*nPost
	if size > uint64(len(b)) {
		return nil, 0, errLexicon
	}
	lx := &Lexicon{bm25: p, lens: make([]float32, nDocs), ends: make([]uint32, nTerms), stats: make([]termStats, nTerms), post: make([]Posting, nPost)}
	le := binary.LittleEndian
	rest := b[head:size]
	take := func(n uint64) []byte {
		x := rest[:n:n]
		rest = rest[n:]
		return x
	}
	lens, terms, ends, postEnds, post := take(4*nDocs), take(termBytes), take(4*nTerms), take(4*nTerms), take(8*nPost)
	var total float64
	for i := range lx.lens {
		n := math.Float32frombits(le.Uint32(lens[4*i:]))
		lx.lens[i] = n
		total += float64(n)
	}
	if nDocs > 0 {
		lx.avg = total / float64(nDocs)
	}
	lx.terms = string(terms)
	prev := uint32(0)
	for i := range lx.ends {
		e := le.Uint32(ends[4*i:])
		if e <= prev && i > 0 || uint64(e) > termBytes {
			return nil, 0, fmt.Errorf("%w: term %d ends at %d", errLexicon, i, e)
		}
		lx.ends[i], prev = e, e
	}
	// Most terms of a paper share a handful of document frequencies:
	// compute each one's idf once.
	var idfs [64]float64
	start := int32(0)
	for i := range lx.stats {
		end := le.Uint32(postEnds[4*i:])
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
	for i := range lx.post {
		d, tf := le.Uint32(post[8*i:]), le.Uint32(post[8*i+4:])
		if uint64(d) >= nDocs {
			return nil, 0, fmt.Errorf("%w: posting of document %d of %d", errLexicon, d, nDocs)
		}
		lx.post[i] = Posting{Doc: int32(d), TF: math.Float32frombits(tf)}
	}
	return lx, int(size), nil
}
