package search

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/chatpaper/chatpaper/dict"
)

// analysisVersion numbers the analysis a stored document records
// (tokenize.Terms, term pairs, glosses). It must be increased whenever
// that analysis changes, so documents stored before are recognised as
// stale (Options.Current) and analysed again rather than searched with
// terms a fresh index would not make. A change of the shipped
// dictionary is recognised on its own (dict.Fingerprint).
const analysisVersion = 1

// ErrStaleDoc is returned (wrapped) for a stored document that is
// malformed or was made by another analysis or other options.
var ErrStaleDoc = errors.New("stale or malformed stored document")

// header is what a stored document starts with: the analysis version,
// the options that shape the analysis, and the dictionary's fingerprint.
func (o Options) header() []byte {
	var flags byte
	if o.BigramWeight > 0 {
		flags |= 1
	}
	if o.NoGlosses {
		flags |= 2
	}
	b := []byte{analysisVersion, flags}
	b = binary.AppendUvarint(b, uint64(max(o.TitleRepeat, 1)))
	return binary.LittleEndian.AppendUint64(b, dict.Fingerprint())
}

// EncodeDoc returns d analysed as an index with options o would analyse
// it (its distinct terms, term pairs and glosses with their weighted
// frequencies, and its length), in the compact form a store keeps next
// to the document: Index.AddStored and Build index it without
// tokenizing again, with exactly the postings Add would make.
func (o Options) EncodeDoc(d Doc) []byte { return o.encode(o.analyze(d)) }

// Layout after the header: the length as float32 bits, the number of
// terms, then each term in sorted order as a length-prefixed string and
// its frequency: a uvarint 2f for a whole f below 2^24 (every frequency
// without a gloss share), else 1 and the float32 bits.
func (o Options) encode(a analyzed) []byte {
	size := 32
	for _, t := range a.terms {
		size += len(t) + 2*binary.MaxVarintLen32
	}
	b := append(make([]byte, 0, size), o.header()...)
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(a.n))
	b = binary.AppendUvarint(b, uint64(len(a.terms)))
	for i, t := range a.terms {
		b = binary.AppendUvarint(b, uint64(len(t)))
		b = append(b, t...)
		f := a.tfs[i]
		if f >= 1 && f < 1<<24 && f == float32(uint32(f)) {
			b = binary.AppendUvarint(b, 2*uint64(f))
		} else {
			b = binary.AppendUvarint(b, 1)
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
		}
	}
	return b
}

// Current reports whether b is a stored document of these options and
// of this analysis (dictionary included): one worth decoding rather
// than analysing the document again. It reads only the header.
func (o Options) Current(b []byte) bool {
	h := o.header()
	return len(b) >= len(h) && string(b[:len(h)]) == string(h)
}

// storedDoc walks the terms of a stored document held as a string, so
// the terms it yields are substrings of it: indexing a document costs
// one allocation for all its terms.
type storedDoc struct {
	s     string
	n     float32
	count int
}

func (o Options) openDoc(s string) (storedDoc, error) {
	h := o.header()
	if len(s) < len(h)+4 || s[:len(h)] != string(h) {
		return storedDoc{}, ErrStaleDoc
	}
	s = s[len(h):]
	n := math.Float32frombits(le32(s))
	s = s[4:]
	count, k := uvarint(s)
	if k <= 0 || count > uint64(len(s)) {
		return storedDoc{}, ErrStaleDoc
	}
	return storedDoc{s: s[k:], n: n, count: int(count)}, nil
}

// next returns the next term and its frequency; ok is false at the end.
func (d *storedDoc) next() (term string, tf float32, ok bool, err error) {
	if d.count == 0 {
		if d.s != "" {
			return "", 0, false, ErrStaleDoc
		}
		return "", 0, false, nil
	}
	d.count--
	l, k := uvarint(d.s)
	if k <= 0 || uint64(len(d.s)-k) < l {
		return "", 0, false, ErrStaleDoc
	}
	term, d.s = d.s[k:k+int(l)], d.s[k+int(l):]
	f, k := uvarint(d.s)
	switch {
	case k <= 0 || f == 0:
		return "", 0, false, ErrStaleDoc
	case f == 1:
		if len(d.s) < k+4 {
			return "", 0, false, ErrStaleDoc
		}
		tf = math.Float32frombits(le32(d.s[k:]))
		d.s = d.s[k+4:]
	case f%2 == 0:
		tf = float32(f / 2)
		d.s = d.s[k:]
	default:
		return "", 0, false, ErrStaleDoc
	}
	return term, tf, true, nil
}

// uvarint is binary.Uvarint over a string.
func uvarint(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, -(i + 1)
			}
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

// decodeDoc decodes a stored document fully (the incremental path).
func (o Options) decodeDoc(b []byte) (analyzed, error) {
	d, err := o.openDoc(string(b))
	if err != nil {
		return analyzed{}, err
	}
	a := analyzed{n: d.n, terms: make([]string, 0, d.count), tfs: make([]float32, 0, d.count)}
	for {
		t, f, ok, err := d.next()
		if err != nil {
			return analyzed{}, err
		}
		if !ok {
			return a, nil
		}
		a.terms = append(a.terms, t)
		a.tfs = append(a.tfs, f)
	}
}

// StoredDoc is a document in its stored form (Options.EncodeDoc).
type StoredDoc struct {
	ID    string
	Terms []byte
}

// Build returns an index with options o of docs, in order, as calling
// AddStored for each would make it, but laid out in a few flat arrays
// (one postings array, one term list) instead of one allocation per
// term and document, so indexing a whole catalogue costs little more
// than decoding it. Documents whose stored form AddStored would refuse
// are skipped; bad lists their positions in docs, for the caller to
// analyse and Add.
func Build(o Options, docs []StoredDoc) (ix *Index, bad []int) {
	ix = New(o)
	o = ix.opts
	type span struct{ start, end int }
	spans := make([]span, len(docs))
	lens := make([]float32, len(docs))
	good := make([]bool, len(docs))
	// Size the flat arrays from the headers' term counts first.
	total := 0
	for _, doc := range docs {
		if d, err := o.openDoc(string(doc.Terms)); err == nil {
			total += d.count
		}
	}
	termIDs := make([]int32, 0, total)
	tfs := make([]float32, 0, total)
	var df []int32
	// Growing the term map is a large part of building it; a third of
	// the terms' occurrences bounds the distinct terms of text with term
	// pairs well enough to skip most of the growing.
	ix.dict = make(map[string]int32, total/3)
	for i, doc := range docs {
		start := len(termIDs)
		d, err := o.openDoc(string(doc.Terms))
		for err == nil {
			t, f, ok, e := d.next()
			if err = e; !ok || err != nil {
				break
			}
			id, seen := ix.dict[t]
			if !seen {
				id = int32(len(ix.names))
				ix.dict[t] = id
				ix.names = append(ix.names, t)
				df = append(df, 0)
			}
			df[id]++
			termIDs = append(termIDs, id)
			tfs = append(tfs, f)
		}
		if err != nil {
			// Undo this document's counts; its new terms keep ids
			// with no postings, as a removed document's would.
			for _, id := range termIDs[start:] {
				df[id]--
			}
			termIDs, tfs = termIDs[:start], tfs[:start]
			bad = append(bad, i)
			continue
		}
		spans[i], lens[i], good[i] = span{start, len(termIDs)}, d.n, true
	}
	all := make([]Posting, len(termIDs))
	ix.post = make([][]Posting, len(ix.names))
	off := 0
	for id, n := range df {
		ix.post[id] = all[off : off : off+int(n)]
		off += int(n)
	}
	for i, doc := range docs {
		if !good[i] {
			continue
		}
		if _, dup := ix.ord[doc.ID]; dup {
			ix.removeLocked(doc.ID)
		}
		o := len(ix.ids)
		sp := spans[i]
		ids := termIDs[sp.start:sp.end:sp.end]
		for j, id := range ids {
			ix.post[id] = append(ix.post[id], Posting{Doc: int32(o), TF: tfs[sp.start+j]})
		}
		ix.ids = append(ix.ids, doc.ID)
		ix.lens = append(ix.lens, lens[i])
		ix.terms = append(ix.terms, ids)
		ix.tfs = append(ix.tfs, tfs[sp.start:sp.end:sp.end])
		ix.ord[doc.ID] = o
		ix.live++
		ix.totalLen += float64(lens[i])
	}
	return ix, bad
}

// le32 is binary.LittleEndian.Uint32 over a string of at least 4 bytes.
func le32(s string) uint32 {
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}
