package prompts

import (
	"strings"
	"testing"
)

func TestRetractionNotice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang string
		fs   []Flagged
		want string
	}{
		{"en_US", nil, ""},
		{"en_US", []Flagged{{N: 62, Status: "retracted", Date: "2021-03-15"}}, "Note: [62] was retracted (2021-03-15), so what it reports should not be relied on."},
		{"en_US", []Flagged{{N: 62, Status: "retracted"}, {N: 70, Status: "withdrawn", Date: "2019"}}, "Note: [62] was retracted; [70] was withdrawn (2019), so what it reports should not be relied on."},
		{"zh_CN", []Flagged{{N: 62, Status: "retracted", Date: "2021-03-15"}}, "注意：[62] 已被撤稿（2021-03-15），其结论不宜采信。"},
	}
	for _, tt := range tests {
		got, err := RetractionNotice(tt.lang, tt.fs)
		if err != nil || got != tt.want {
			t.Errorf("RetractionNotice(%s, %v) = %q, %v; want %q", tt.lang, tt.fs, got, err, tt.want)
		}
	}
}

func TestCitedWorkQuotes(t *testing.T) {
	t.Parallel()
	got, err := CitedWorkQuotes("en_US", []CitedQuote{{N: 49, Quote: "Radiation increases uptake."}})
	if want := "The cited work [49] itself reports, in its abstract (from the cited work, not from this paper): “Radiation increases uptake.”"; err != nil || got != want {
		t.Errorf("en: %q, %v", got, err)
	}
	got, err = CitedWorkQuotes("zh_CN", []CitedQuote{{N: 49, Quote: "Radiation increases uptake."}})
	if want := "被引文献 [49] 的摘要（出自该被引文献，而非本文；英文原文）指出：“Radiation increases uptake.”"; err != nil || got != want {
		t.Errorf("zh: %q, %v", got, err)
	}
	if got, _ := CitedWorkQuotes("en_US", nil); got != "" {
		t.Errorf("none: %q", got)
	}
}

func TestModelAnswerMarksCitedWork(t *testing.T) {
	t.Parallel()
	p, err := ModelAnswer(ModelAnswerData{Lang: "en_US", Title: "T", Question: "What did [49] find?", Refs: []ContextRef{
		{N: 49, Text: "Hazawa M. Radiation increases the cellular uptake of exosomes.", Cited: "Irradiated cells took up more exosomes."},
		{N: 3, Text: "Kalluri R. Exosomes."},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.System, `5. A line "Abstract of the cited work [n]" is what that cited work itself reports`) {
		t.Errorf("system prompt lacks the cited-work rule:\n%s", p.System)
	}
	want := "[49] Hazawa M. Radiation increases the cellular uptake of exosomes.\n    Abstract of the cited work [49] (from that work, not from this paper): Irradiated cells took up more exosomes.\n[3] Kalluri R. Exosomes.\n"
	if !strings.Contains(p.User, want) {
		t.Errorf("user prompt:\n%s\nwant it to contain:\n%s", p.User, want)
	}
	p, _ = ModelAnswer(ModelAnswerData{Lang: "en_US", Refs: []ContextRef{{N: 3, Text: "Kalluri R. Exosomes."}}})
	if strings.Contains(p.System, "cited work") {
		t.Errorf("the rule appears without cited abstracts:\n%s", p.System)
	}
}
