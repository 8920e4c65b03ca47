package library

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"unsafe"
)

// Vectors are a loaded paper's chunk vectors, by position in Chunks, in
// one of two forms. Dense holds the slices the vector index holds. Sparse
// holds only the non-zero elements, as the paper's load image does: a
// paper loaded from its image keeps them so until its second use, when
// they are written out densely into the vector index. A reader asking a
// paper once then costs no dense vectors at all, which for readers spread
// over a catalogue is most of what a load would write. At most one of the
// two is set; neither is for a paper without chunks or after its last
// use.
type Vectors struct {
	Dense  [][]float32
	Sparse *SparseVectors
}

// Len is the number of vectors.
func (v Vectors) Len() int {
	if v.Sparse != nil {
		return v.Sparse.Len()
	}
	return len(v.Dense)
}

// SparseVectors are vectors of one dimension by their non-zero elements.
// They are immutable.
type SparseVectors struct {
	dim   int
	start []int32 // vector i's elements are idx and val [start[i], start[i+1])
	idx   []uint16
	val   []float32
	// block is the image's vector block that idx and val lie in, on
	// little-endian hosts, for sparseBlocks to take back once no reader
	// can use them any more.
	block *[]byte
}

// sparseBlocks recycles the memory of sparse vector blocks: a load reads
// its block into memory a dropped (or densified) paper gave back, so
// loads spread over a catalogue allocate little and the collector runs
// as seldom as before the vectors stayed sparse.
var sparseBlocks = sync.Pool{New: func() any { return new([]byte) }}

// getBlock returns memory of n bytes for a sparse vector block, 4-byte
// aligned (as Go's allocations of at least 8 bytes are).
func getBlock(n int) *[]byte {
	bp := sparseBlocks.Get().(*[]byte)
	if cap(*bp) < n {
		*bp = make([]byte, n, n+n/8) // room for a slightly larger paper next
	}
	*bp = (*bp)[:n]
	return bp
}

// release gives the memory of s back for other loads. No reader may use
// s afterwards.
func (s *SparseVectors) release() {
	if s != nil && s.block != nil {
		sparseBlocks.Put(s.block)
		s.block = nil
	}
}

// Len is the number of vectors.
func (s *SparseVectors) Len() int { return len(s.start) - 1 }

// Dim is the vectors' dimension.
func (s *SparseVectors) Dim() int { return s.dim }

// Vector returns vector i's non-zero elements: their coordinates, in
// increasing order and each below Dim, and their values. Callers must
// not modify them.
func (s *SparseVectors) Vector(i int) (idx []uint16, val []float32) {
	a, b := s.start[i], s.start[i+1]
	return s.idx[a:b:b], s.val[a:b:b]
}

// bytes is the heap the vectors hold.
func (s *SparseVectors) bytes() int64 {
	if s.block != nil {
		return int64(4*len(s.start) + cap(*s.block))
	}
	return int64(4*len(s.start) + 2*len(s.idx) + 4*len(s.val))
}

// fill writes the vectors densely into vecs, whose elements must be 0.
func (s *SparseVectors) fill(vecs [][]float32) {
	for i, v := range vecs {
		v = v[:s.dim]
		idx, val := s.Vector(i)
		for j, at := range idx {
			v[at] = val[j]
		}
	}
}

// parseSparse reads a vectorsSparse block, bp, of nvec vectors of dim floats:
// the element count of each vector (uint32), then every value (float32),
// then every coordinate (uint16), all little-endian, vector after vector,
// padded to a multiple of 4 bytes. Coordinates must increase within a
// vector, so that a vector's elements are summed in coordinate order,
// as over its dense form, and none is set twice. On little-endian hosts
// the values and coordinates are used where they lie, and the result
// owns bp; otherwise they are copied out, and bp is the caller's still.
func parseSparse(bp *[]byte, nvec, dim int) (*SparseVectors, error) {
	block := *bp
	if len(block) < 4*nvec {
		return nil, fmt.Errorf("%w: sparse vectors", errImage)
	}
	le := binary.LittleEndian
	s := &SparseVectors{dim: dim, start: make([]int32, nvec+1)}
	nnz := 0
	for i := range nvec {
		c := int(le.Uint32(block[4*i:]))
		if c > dim {
			return nil, fmt.Errorf("%w: sparse vector %d holds %d of %d", errImage, i, c, dim)
		}
		nnz += c
		s.start[i+1] = int32(nnz)
	}
	if (4*nvec+6*nnz+3)&^3 != len(block) {
		return nil, fmt.Errorf("%w: sparse vectors of %d bytes hold %d", errImage, len(block), nnz)
	}
	vals := block[4*nvec : 4*nvec+4*nnz]
	idx := block[4*nvec+4*nnz : 4*nvec+6*nnz]
	if littleEndian && nnz > 0 {
		// vals starts 4*nvec bytes into 4-aligned memory, idx after it.
		s.val = unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(vals))), nnz)
		s.idx = unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(idx))), nnz)
	} else {
		s.val, s.idx = make([]float32, nnz), make([]uint16, nnz)
		for k := range s.val {
			s.val[k] = math.Float32frombits(le.Uint32(vals[4*k:]))
			s.idx[k] = le.Uint16(idx[2*k:])
		}
	}
	for i := range nvec {
		if v := s.idx[s.start[i]:s.start[i+1]]; len(v) > 0 && !increasingBelow(v, dim) {
			return nil, fmt.Errorf("%w: sparse vector %d: coordinates out of order or beyond %d", errImage, i, dim)
		}
	}
	if littleEndian && nnz > 0 {
		s.block = bp
	}
	return s, nil
}

// increasingBelow reports whether idx increases strictly and its last
// element is below dim.
func increasingBelow(idx []uint16, dim int) bool {
	prev := idx[0]
	for _, at := range idx[1:] {
		if at <= prev {
			return false
		}
		prev = at
	}
	return int(prev) < dim
}
