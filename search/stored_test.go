package search

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// storedCorpus mixes English, Chinese (whose glosses give fractional
// frequencies) and bilingual documents, some sharing words.
func storedCorpus() []Doc {
	r := rand.New(rand.NewPCG(3, 4))
	en := strings.Fields("exosome secretion tumour angiogenesis radiotherapy dendritic cell vaccine lens lipid carbon smoking gene expression protein")
	zh := []string{"外泌体", "肿瘤", "血管生成", "放射治疗", "树突状细胞", "疫苗", "晶状体", "脂质", "吸烟", "基因表达"}
	var out []Doc
	for i := range 60 {
		var b strings.Builder
		for range 5 + r.IntN(30) {
			b.WriteString(en[r.IntN(len(en))] + " ")
			if i%3 == 0 {
				b.WriteString(zh[r.IntN(len(zh))])
			}
		}
		out = append(out, Doc{ID: fmt.Sprintf("d%02d", i), Title: en[r.IntN(len(en))] + " " + zh[r.IntN(len(zh))], Text: b.String()})
	}
	out = append(out, docs...)
	return append(out, Doc{ID: "empty"}, Doc{ID: "stop", Title: "的", Text: "of the"})
}

// TestStoredIndexesAsAdd checks that an index made from stored documents,
// by Build or AddStored, ranks and scores exactly as one made by Add,
// through replacements and removals, for every option set.
func TestStoredIndexesAsAdd(t *testing.T) {
	t.Parallel()
	corpus := storedCorpus()
	queries := []string{"exosome secretion", "tumour angiogenesis radiotherapy", "外泌体的分泌", "吸烟 晶状体 脂质", "gene expression vaccine", "dendritic cell"}
	for name, opts := range map[string]Options{"default": DefaultOptions(), "bm25": BM25Only(), "cosine": {BM25: Robertson, VectorWeight: 0.5, TitleRepeat: 2}, "noglosses": {BM25: Robertson, BigramWeight: 0.1, NoGlosses: true}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			added, incr := New(opts), New(opts)
			stored := make([]StoredDoc, len(corpus))
			for i, d := range corpus {
				added.Add(d)
				stored[i] = StoredDoc{ID: d.ID, Terms: opts.EncodeDoc(d)}
				if err := incr.AddStored(d.ID, stored[i].Terms); err != nil {
					t.Fatal(err)
				}
			}
			built, bad := Build(opts, stored)
			if len(bad) != 0 {
				t.Fatalf("Build refused %v", bad)
			}
			same := func(step string) {
				t.Helper()
				for _, q := range queries {
					want := added.Search(q, 10)
					if len(want) == 0 {
						t.Fatalf("%s: Search(%q) found nothing: a query that tests nothing", step, q)
					}
					for kind, ix := range map[string]*Index{"Build": built, "AddStored": incr} {
						if got := ix.Search(q, 10); !reflect.DeepEqual(got, want) {
							t.Errorf("%s: %s Search(%q) =\n%v\nwant (Add)\n%v", step, kind, q, got, want)
						}
					}
				}
			}
			same("built")
			// Replace, remove and add on all three: Build's flat arrays
			// must take appends and removals as Add's do.
			repl := Doc{ID: corpus[5].ID, Title: "exosome vaccine 外泌体", Text: "tumour angiogenesis angiogenesis"}
			extra := Doc{ID: "new", Title: "gene expression", Text: "exosome secretion 肿瘤"}
			for _, ix := range []*Index{added, built, incr} {
				ix.Remove(corpus[7].ID)
				ix.Remove(corpus[0].ID)
				if ix == added {
					ix.Add(repl)
					ix.Add(extra)
					continue
				}
				for _, d := range []Doc{repl, extra} {
					if err := ix.AddStored(d.ID, opts.EncodeDoc(d)); err != nil {
						t.Fatal(err)
					}
				}
			}
			same("updated")
			if added.Len() != built.Len() || added.IDF("exosom") != built.IDF("exosom") {
				t.Errorf("Len %d / %d, IDF %v / %v", added.Len(), built.Len(), added.IDF("exosom"), built.IDF("exosom"))
			}
		})
	}
}

// TestStoredRefusesStaleOrMalformed checks that a form made with other
// options or of another analysis version is not current and is refused,
// as are truncated or corrupted forms, and that Build skips them alone.
func TestStoredRefusesStaleOrMalformed(t *testing.T) {
	t.Parallel()
	opts := DefaultOptions()
	d := Doc{ID: "x", Title: "Exosome secretion 外泌体", Text: "Exosomes are released by dendritic cells."}
	good := opts.EncodeDoc(d)
	if !opts.Current(good) {
		t.Fatal("a form just encoded is not current")
	}
	other := BM25Only().EncodeDoc(d) // no pairs
	bumped := bytes.Clone(good)
	bumped[0]++
	cases := map[string][]byte{
		"other options": other,
		"other version": bumped,
		"empty":         nil,
		"truncated":     good[:len(good)-3],
		"trailing":      append(bytes.Clone(good), 0),
	}
	for name, b := range cases {
		if name == "other options" || name == "other version" || name == "empty" {
			if opts.Current(b) {
				t.Errorf("%s: Current = true", name)
			}
		}
		ix := New(opts)
		if err := ix.AddStored("x", b); !errors.Is(err, ErrStaleDoc) || ix.Len() != 0 {
			t.Errorf("%s: AddStored = %v with %d documents, want ErrStaleDoc and none", name, err, ix.Len())
		}
		built, bad := Build(opts, []StoredDoc{{ID: "a", Terms: good}, {ID: "b", Terms: b}, {ID: "c", Terms: opts.EncodeDoc(docs[0])}})
		if !reflect.DeepEqual(bad, []int{1}) || built.Len() != 2 {
			t.Errorf("%s: Build bad = %v, %d documents; want [1], 2", name, bad, built.Len())
		}
		if hs := built.Search("exosome", 5); len(hs) != 2 {
			t.Errorf("%s: built index found %v, want a and c", name, hs)
		}
	}
}

// FuzzStoredDoc checks that decoding any bytes as a stored document
// never panics, and that whatever AddStored accepts Build accepts alike.
func FuzzStoredDoc(f *testing.F) {
	opts := DefaultOptions()
	f.Add(opts.EncodeDoc(Doc{ID: "x", Title: "Exosome secretion 外泌体", Text: "Exosomes are released by dendritic cells."}))
	f.Add(opts.EncodeDoc(Doc{ID: "y"}))
	f.Add([]byte{analysisVersion, 1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		ix := New(opts)
		err := ix.AddStored("x", b)
		built, bad := Build(opts, []StoredDoc{{ID: "x", Terms: b}})
		if (err == nil) != (len(bad) == 0) || ix.Len() != built.Len() {
			t.Fatalf("AddStored err %v, Build bad %v: they disagree", err, bad)
		}
		if err == nil {
			if got, want := built.Search("exosome secretion", 3), ix.Search("exosome secretion", 3); !reflect.DeepEqual(got, want) {
				t.Fatalf("Build %v, AddStored %v", got, want)
			}
		}
	})
}
