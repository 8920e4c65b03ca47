//go:build race

package pdf_test

// maxBombRSS is the bound of rss_test.go with room for the race
// detector, whose shadow memory multiplies the heap's footprint.
const maxBombRSS = 400 << 20
