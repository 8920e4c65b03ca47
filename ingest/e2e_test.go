package ingest_test

import (
	"context"
	"testing"

	"github.com/chatpaper/chatpaper/ingest"
	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/paper/pdf/pdftest"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store/sqlite"
)

// TestSamplesAnswerFromReferences ingests each published sample through
// format detection into the real engine (sqlite store, local embedder)
// and asks a question only one of its references answers: the answer
// must cite that reference's number.
func TestSamplesAnswerFromReferences(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lib := apptest.Library(t, st, nil, nil)
	eng := apptest.Extractive(lib, nil)
	tests := []struct {
		file, format, id string
		refs             int
		question         string
		cite             int
	}{
		{"../paper/jats/testdata/pone.0046493.nxml", ingest.FormatJATS, "10.1371_journal.pone.0046493", 58,
			"Is drug-resistant tuberculosis an insurmountable epidemic?", 1},
		{"../paper/jats/testdata/pntd.0002065.nxml", ingest.FormatJATS, "10.1371_journal.pntd.0002065", 32,
			"Was Rift Valley fever seen during rainy seasons in Madagascar?", 5},
		{"../paper/jats/testdata/elife06003.xml", ingest.FormatJATS, "10.7554_eLife.06003", 32,
			"Can age be written in teeth by nuclear tests?", 29},
		{"../paper/crossref/testdata/10.3389_fgene.2017.00147.json", ingest.FormatCrossref, "10.3389_fgene.2017.00147", 22,
			"Which tool offers interactive drawing and editing of the RNA secondary structure?", 2},
		{"../paper/crossref/testdata/10.1016_j.pediatrneurol.2015.06.002.json", ingest.FormatCrossref, "10.1016_j.pediatrneurol.2015.06.002", 36,
			"What is the diagnostic odyssey for Duchenne muscular dystrophy?", 36},
		{"generated.pdf", ingest.FormatPDF, "generated", 3,
			"How can tumour hypoxia be exploited in cancer treatment?", 2},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			item := ingest.Item{Name: tt.file, Path: tt.file}
			if tt.format == ingest.FormatPDF {
				item = ingest.Item{Name: tt.file, Data: pdftest.Make(pdftest.Article())}
			}
			rs := ingest.Run(ctx, []ingest.Item{item}, lib, ingest.Options{Hashes: st})
			r := rs[0]
			if r.Status != ingest.StatusIngested || r.Format != tt.format || r.ID != tt.id || r.References != tt.refs {
				t.Fatalf("result %+v (err %v), want %s ingested as %s with %d references", r, r.Err, tt.id, tt.format, tt.refs)
			}
			ans, err := eng.Ask(ctx, rag.Question{PaperID: tt.id, Text: tt.question, Lang: "en_US"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			cited := false
			for _, c := range ans.Citations {
				cited = cited || c.N == tt.cite
			}
			if !ans.Answerable || !cited {
				t.Errorf("answer %q cites %+v, want reference %d", ans.Answer, ans.Citations, tt.cite)
			}
		})
	}
}
