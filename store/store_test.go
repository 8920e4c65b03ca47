package store_test

import (
	"testing"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
)

// The demo paper's hash as computed before papers could have a body:
// body-less papers must keep the hash they were stored with, or every
// stored paper would look changed and be re-embedded.
const demoHashBeforeBodies = "3174ba5aabfe43cd92602403f6824277fe726a3b64195a2ea4e1bd96c3247b08"

func TestContentHashBodyless(t *testing.T) {
	if got := store.ContentHash(paper.Demo()); got != demoHashBeforeBodies {
		t.Errorf("ContentHash(demo) = %s, want %s", got, demoHashBeforeBodies)
	}
	p := paper.Demo()
	p.Body = &paper.Body{Sections: []paper.Section{{ID: "sec1", Level: 1}}}
	if store.ContentHash(p) == demoHashBeforeBodies {
		t.Error("adding a body does not change the hash")
	}
}
