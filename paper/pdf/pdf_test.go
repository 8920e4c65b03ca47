package pdf_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/paper/pdf"
	"github.com/chatpaper/chatpaper/paper/pdf/pdftest"
)

func TestText(t *testing.T) {
	text, err := pdf.Text(pdftest.Make(pdftest.Article()))
	if err != nil {
		t.Fatal(err)
	}
	want := `Hypoxia imaging guides dose painting in head and neck cancer
Ann Lee1, Bo Chen2 and Cy Wu1

Abstract
Tumour hypoxia limits the effect of
radiotherapy and drives fibrosis in
irradiated tissue. We map hypoxia before
treatment and boost the dose there.
乏氧显像指导剂量雕刻。

References
1. Gray LH, Conger AD. The concentration
of oxygen in tissues. Br J Radiol. 1953;
26: 638-48.
2. Brown JM, Wilson WR. Exploiting tumour
hypoxia in cancer treatment. Nat Rev
Cancer. 2004; 4: 437-47.
3. Horsman MR, Overgaard J. Imaging hypoxia
to improve radiotherapy outcome. Nat Rev
Clin Oncol. 2012; 9: 674-87.

The beams were fixed in every session, and two physicists reviewed each plan.
`
	if text != want {
		t.Errorf("text:\n%s\nwant:\n%s", text, want)
	}
	for _, bad := range []string{"ﬁ", "ﬀ", "\x01", "\x02"} {
		if strings.Contains(text, bad) {
			t.Errorf("text keeps %q", bad)
		}
	}
}

func TestParse(t *testing.T) {
	p, err := pdf.Parse(pdftest.Make(pdftest.Article()), "hypoxia-pdf")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Title, "Hypoxia imaging guides dose painting in head and neck cancer"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	if got, want := p.Abstract, "Tumour hypoxia limits the effect of radiotherapy and drives fibrosis in irradiated tissue. We map hypoxia before treatment and boost the dose there. 乏氧显像指导剂量雕刻。"; got != want {
		t.Errorf("abstract = %q, want %q", got, want)
	}
	if got, want := len(p.References), 3; got != want {
		t.Fatalf("%d references, want %d: %+v", got, want, p.References)
	}
	if got, want := p.References[1].Text, "Brown JM, Wilson WR. Exploiting tumour hypoxia in cancer treatment. Nat Rev Cancer. 2004; 4: 437-47."; got != want {
		t.Errorf("reference 2 = %q, want %q", got, want)
	}
	if got, want := p.Numbering, "printed"; got != want {
		t.Errorf("numbering = %q, want %q", got, want)
	}
}

func TestTextErrors(t *testing.T) {
	for name, in := range map[string][]byte{
		"not a pdf": []byte("hello"),
		"no pages":  []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"),
		"no text":   pdftest.Make(nil),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := pdf.Text(in)
			if !errors.Is(err, paper.ErrInvalid) {
				t.Fatalf("err = %v, want one matching ErrInvalid", err)
			}
		})
	}
}

func FuzzText(f *testing.F) {
	f.Add(pdftest.Make(pdftest.Article()))
	f.Add(pdftest.Make(nil))
	f.Add([]byte("%PDF-1.7\n1 0 obj <</Type/Page/Contents 2 0 R>> endobj 2 0 obj <</Length 9>>stream\nBT (a) Tj ET\nendstream endobj"))
	f.Fuzz(func(t *testing.T, data []byte) {
		text, err := pdf.Text(data)
		if err != nil {
			if !errors.Is(err, paper.ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		if strings.TrimSpace(text) == "" {
			t.Fatal("no error and no text")
		}
	})
}
