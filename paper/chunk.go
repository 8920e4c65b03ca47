package paper

// ChunkKind says which part of a paper a chunk comes from.
type ChunkKind string

// Chunk kinds. Title chunks are reported to readers as abstract sources.
// Body chunks are windows of sentences of one section and caption chunks
// a figure's or table's caption (see Passage); a paper with a body has
// citation-context reference chunks: the entry followed by the body
// sentences that cite it.
const (
	KindTitle     ChunkKind = "title"
	KindAbstract  ChunkKind = "abstract"
	KindReference ChunkKind = "reference"
	KindBody      ChunkKind = "body"
	KindCaption   ChunkKind = "caption"
	// KindCited holds the abstract of the work reference N cites, from
	// enrichment: the cited work's words, not this paper's.
	KindCited ChunkKind = "cited"
)

// Chunk is one retrievable passage of a paper. Reference and cited chunks
// carry the reference number in N; other kinds have N == 0. Body and
// caption chunks have the id of their Passage, which gives their section
// and the numbers they cite.
type Chunk struct {
	ID   string    `json:"id"`
	Kind ChunkKind `json:"kind"`
	N    int       `json:"n,omitempty"`
	// Lang is "en" or "zh": the language of Text, used to pick the
	// tokenizer and the answer wording.
	Lang string `json:"lang"`
	Text string `json:"text"`
}
