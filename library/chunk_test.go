package library

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/chatpaper/chatpaper/internal/golden"
	"github.com/chatpaper/chatpaper/paper"
)

func TestChunksDemoGolden(t *testing.T) {
	t.Parallel()
	chunks := Chunks(paper.Demo())
	got, err := json.MarshalIndent(chunks, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "demo-chunks.golden.json", append(got, '\n'))

	var refs int
	for _, c := range chunks {
		if c.Kind == paper.KindReference {
			refs++
			if got, want := c.ID, "r"+itoa(c.N); got != want {
				t.Errorf("reference chunk id = %q, want %q", got, want)
			}
		}
	}
	if got, want := refs, 103; got != want {
		t.Errorf("reference chunks = %d, want %d", got, want)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestWindowsOverlap(t *testing.T) {
	t.Parallel()
	p := &paper.Paper{ID: "x", Title: "T", Abstract: "A one. B two. C three."}
	var got []string
	for _, c := range Chunks(p) {
		if c.Kind == paper.KindAbstract {
			got = append(got, c.Text)
		}
	}
	if want := []string{"A one. B two.", "B two. C three."}; !reflect.DeepEqual(got, want) {
		t.Errorf("abstract windows = %q, want %q", got, want)
	}
}
