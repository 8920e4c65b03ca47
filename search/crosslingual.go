package search

import (
	"github.com/chatpaper/chatpaper/dict"
	"github.com/chatpaper/chatpaper/tokenize"
)

// addGlosses calls fn with the English stems of the Chinese words of
// text and their weights: a word's unit weight is shared among its
// glosses, so a polysemous word does not outweigh a precise one. This
// makes Chinese queries match English documents and Chinese documents
// match English queries, through the shipped dictionary (package dict).
func addGlosses(text string, fn func(term string, w float64)) {
	if !tokenize.HasCJK(text) {
		return
	}
	for _, w := range dict.Translate(text) {
		if w.Stop || len(w.En) == 0 {
			continue
		}
		share := 1 / float64(len(w.En))
		for _, g := range w.En {
			for _, t := range tokenize.Terms(g) {
				fn(t, share)
			}
		}
	}
}
