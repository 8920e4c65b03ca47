package search

import (
	"cmp"
	"encoding/binary"
	"errors"
	"math"
	"slices"

	"github.com/chatpaper/chatpaper/dict"
)

// analysisVersion numbers the analysis a stored document records
// (tokenize.Terms, term pairs, glosses). It must be increased whenever
// that analysis changes, so documents stored before are recognised as
// stale (Options.Current) and analysed again rather than searched with
// terms a fresh index would not make. A change of the shipped
// dictionary is recognised on its own (dict.Fingerprint).
const analysisVersion = 2

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
// it (its distinct words, adjacent word pairs and glosses with their
// weighted frequencies, and its length), in the compact form a store
// keeps next to the document: Index.AddStored and Build index it without
// tokenizing again, with exactly the postings Add would make.
func (o Options) EncodeDoc(d Doc) []byte { return o.encode(o.analyze(d)) }

// Layout after the header: the length as float32 bits; the number of
// words, then each word in sorted order as a length-prefixed string and
// its frequency; the number of pairs, then each pair in sorted order as
// the indexes of its two words and its frequency. A frequency is a
// uvarint 2f for a whole f below 2^24 (every frequency without a gloss
// share), else 1 and the float32 bits.
func (o Options) encode(a analyzed) []byte {
	size := 32 + len(a.pairs)*(2*binary.MaxVarintLen32+1)
	for _, t := range a.words {
		size += len(t) + 2*binary.MaxVarintLen32
	}
	b := append(make([]byte, 0, size), o.header()...)
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(a.n))
	b = binary.AppendUvarint(b, uint64(len(a.words)))
	for i, t := range a.words {
		b = binary.AppendUvarint(b, uint64(len(t)))
		b = append(b, t...)
		b = appendTF(b, a.wtf[i])
	}
	b = binary.AppendUvarint(b, uint64(len(a.pairs)))
	for i, p := range a.pairs {
		b = binary.AppendUvarint(b, uint64(p[0]))
		b = binary.AppendUvarint(b, uint64(p[1]))
		b = appendTF(b, a.ptf[i])
	}
	return b
}

func appendTF(b []byte, f float32) []byte {
	if f >= 1 && f < 1<<24 && f == float32(uint32(f)) {
		return binary.AppendUvarint(b, 2*uint64(f))
	}
	b = binary.AppendUvarint(b, 1)
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
}

// Current reports whether b is a stored document of these options and
// of this analysis (dictionary included): one worth decoding rather
// than analysing the document again. It reads only the header.
func (o Options) Current(b []byte) bool {
	h := o.header()
	return len(b) >= len(h) && string(b[:len(h)]) == string(h)
}

// storedDoc walks a stored document held as a string, so the words it
// yields are substrings of it: indexing a document costs one allocation
// for all its words. It checks that words and pairs come in strictly
// increasing order (so none repeats) and that pairs name words it has.
type storedDoc struct {
	s            string
	n            float32
	words, pairs int // left to read; pairs is read after the words
	nWords       int
	last         string
	lastPair     [2]int32
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
	d := storedDoc{s: s[k:], n: n, words: int(count), nWords: int(count), lastPair: [2]int32{-1, -1}}
	if count == 0 {
		err := d.startPairs()
		return d, err
	}
	return d, nil
}

// startPairs reads the number of pairs, after the last word.
func (d *storedDoc) startPairs() error {
	count, k := uvarint(d.s)
	if k <= 0 || count > uint64(len(d.s)) {
		return ErrStaleDoc
	}
	d.s, d.pairs = d.s[k:], int(count)
	return nil
}

// word returns the next word and its frequency; ok is false after the
// last word.
func (d *storedDoc) word() (term string, tf float32, ok bool, err error) {
	if d.words == 0 {
		return "", 0, false, nil
	}
	d.words--
	l, k := uvarint(d.s)
	if k <= 0 || uint64(len(d.s)-k) < l || l == 0 {
		return "", 0, false, ErrStaleDoc
	}
	term, d.s = d.s[k:k+int(l)], d.s[k+int(l):]
	if d.nWords-d.words > 1 && term <= d.last {
		return "", 0, false, ErrStaleDoc
	}
	d.last = term
	if tf, err = d.tf(); err != nil {
		return "", 0, false, err
	}
	if d.words == 0 {
		if err := d.startPairs(); err != nil {
			return "", 0, false, err
		}
	}
	return term, tf, true, nil
}

// pair returns the next pair, as indexes of the document's words, and
// its frequency; ok is false after the last pair, when the whole form
// has been read.
func (d *storedDoc) pair() (p [2]int32, tf float32, ok bool, err error) {
	if d.words > 0 {
		return p, 0, false, ErrStaleDoc // words not all read
	}
	if d.pairs == 0 {
		if d.s != "" {
			return p, 0, false, ErrStaleDoc
		}
		return p, 0, false, nil
	}
	d.pairs--
	for i := range p {
		x, k := uvarint(d.s)
		if k <= 0 || x >= uint64(d.nWords) {
			return p, 0, false, ErrStaleDoc
		}
		p[i], d.s = int32(x), d.s[k:]
	}
	if l := d.lastPair; p[0] < l[0] || (p[0] == l[0] && p[1] <= l[1]) {
		return p, 0, false, ErrStaleDoc
	}
	d.lastPair = p
	if tf, err = d.tf(); err != nil {
		return p, 0, false, err
	}
	return p, tf, true, nil
}

func (d *storedDoc) tf() (float32, error) {
	f, k := uvarint(d.s)
	switch {
	case k <= 0 || f == 0:
		return 0, ErrStaleDoc
	case f == 1:
		if len(d.s) < k+4 {
			return 0, ErrStaleDoc
		}
		tf := math.Float32frombits(le32(d.s[k:]))
		d.s = d.s[k+4:]
		return tf, nil
	case f%2 == 0:
		d.s = d.s[k:]
		return float32(f / 2), nil
	}
	return 0, ErrStaleDoc
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
	a := analyzed{n: d.n, words: make([]string, 0, d.words), wtf: make([]float32, 0, d.words)}
	for {
		t, f, ok, err := d.word()
		if err != nil {
			return analyzed{}, err
		}
		if !ok {
			break
		}
		a.words = append(a.words, t)
		a.wtf = append(a.wtf, f)
	}
	for {
		p, f, ok, err := d.pair()
		if err != nil {
			return analyzed{}, err
		}
		if !ok {
			return a, nil
		}
		a.pairs = append(a.pairs, p)
		a.ptf = append(a.ptf, f)
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
	// Size the flat arrays from the headers' word counts first.
	words := 0
	for _, doc := range docs {
		if d, err := o.openDoc(string(doc.Terms)); err == nil {
			words += d.words
		}
	}
	termIDs := make([]int32, 0, words)
	tfs := make([]float32, 0, words)
	// Each document's pairs, by its words' ids, flat like its words.
	keys := make([]uint64, 0, words) // about one pair per word
	ptfs := make([]float32, 0, words)
	var pairPos []int // scratch for sorting one document's pairs
	var sk []uint64
	var sf []float32
	ix.words = make(map[string]int32, min(words/8, 1<<16))
	var df []int32
	type pairSpan struct{ start, end int }
	pspans := make([]pairSpan, len(docs))
	for i, doc := range docs {
		start, pstart := len(termIDs), len(keys)
		d, err := o.openDoc(string(doc.Terms))
		for err == nil {
			t, f, ok, e := d.word()
			if err = e; !ok || err != nil {
				break
			}
			id, seen := ix.words[t]
			if !seen {
				id = int32(len(ix.names))
				ix.words[t] = id
				ix.names = append(ix.names, t)
				df = append(df, 0)
			}
			df[id]++
			termIDs = append(termIDs, id)
			tfs = append(tfs, f)
		}
		for err == nil {
			p, f, ok, e := d.pair()
			if err = e; !ok || err != nil {
				break
			}
			keys = append(keys, pairKey(termIDs[start+int(p[0])], termIDs[start+int(p[1])]))
			ptfs = append(ptfs, f)
		}
		if err != nil {
			// Undo this document's counts; its new words keep ids
			// with no postings, as a removed document's would.
			for _, id := range termIDs[start:] {
				df[id]--
			}
			termIDs, tfs, keys, ptfs = termIDs[:start], tfs[:start], keys[:pstart], ptfs[:pstart]
			bad = append(bad, i)
			continue
		}
		// Order the pairs by key, their frequencies with them.
		pairPos = pairPos[:0]
		for j := pstart; j < len(keys); j++ {
			pairPos = append(pairPos, j)
		}
		slices.SortFunc(pairPos, func(a, b int) int { return cmp.Compare(keys[a], keys[b]) })
		sk, sf = sk[:0], sf[:0]
		for _, at := range pairPos {
			sk, sf = append(sk, keys[at]), append(sf, ptfs[at])
		}
		copy(keys[pstart:], sk)
		copy(ptfs[pstart:], sf)
		spans[i], pspans[i], lens[i], good[i] = span{start, len(termIDs)}, pairSpan{pstart, len(keys)}, d.n, true
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
		sp, pp := spans[i], pspans[i]
		ids := termIDs[sp.start:sp.end:sp.end]
		for j, id := range ids {
			ix.post[id] = append(ix.post[id], Posting{Doc: int32(o), TF: tfs[sp.start+j]})
		}
		ix.ids = append(ix.ids, doc.ID)
		ix.lens = append(ix.lens, lens[i])
		ix.terms = append(ix.terms, ids)
		ix.tfs = append(ix.tfs, tfs[sp.start:sp.end:sp.end])
		ix.pairKeys = append(ix.pairKeys, keys[pp.start:pp.end:pp.end])
		ix.pairTFs = append(ix.pairTFs, ptfs[pp.start:pp.end:pp.end])
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
