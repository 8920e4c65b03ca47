package apptest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/paper/jats"
)

// JATSPaper parses file, one of the real JATS articles kept in
// paper/jats/testdata, as the paper with the given id. It finds the
// folder from this source file, so a test in any package can use it.
func JATSPaper(t testing.TB, file, id string) *paper.Paper {
	t.Helper()
	_, here, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("apptest: cannot locate its own source file")
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "paper", "jats", "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	p, err := jats.Parse(data, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
