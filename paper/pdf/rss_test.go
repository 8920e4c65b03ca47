//go:build !race

package pdf_test

// maxBombRSS is the peak resident memory allowed to a process that reads
// one bomb of TestBombs: the 64 MiB byte budget, the input (under 4 MiB)
// with what the lexer makes of it, and the runtime.
const maxBombRSS = 160 << 20
