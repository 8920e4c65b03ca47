package prompts

import (
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/internal/golden"
)

func checkPrompt(t *testing.T, name string, p Prompt) {
	t.Helper()
	golden.Check(t, name+".golden", []byte("=== system\n"+p.System+"\n=== user\n"+p.User+"\n"))
}

func TestModelPromptsGolden(t *testing.T) {
	t.Parallel()
	refs := []ContextRef{
		{N: 26, Text: "Valadi H, Ekström K, Bossios A. Exosome-mediated transfer of mRNAs and microRNAs is a novel mechanism of genetic exchange between cells. Nat Cell Biol. 2007; 9: 654-9."},
		{N: 3, Text: "Kalluri R, LeBleu VS. The biology, function, and biomedical applications of exosomes. Science. 2020; 367: eaau6977."},
	}
	abstract := []string{"Exosomes are extracellular vesicles that mediate intercellular communication. Radiotherapy alters exosome release."}
	tests := []struct {
		name   string
		render func() (Prompt, error)
	}{
		{"answer_en_US", func() (Prompt, error) {
			return ModelAnswer(ModelAnswerData{Lang: "en_US", Title: "Exosome-mediated crosstalk upon irradiation", Question: "Which studies showed exosomes transfer RNA?", Abstract: abstract, Refs: refs})
		}},
		{"answer_zh_CN", func() (Prompt, error) {
			return ModelAnswer(ModelAnswerData{Lang: "zh_CN", Title: "Exosome-mediated crosstalk upon irradiation", Question: "哪些研究表明外泌体可以转移RNA？", Abstract: abstract, Refs: refs})
		}},
		{"answer_body_en_US", func() (Prompt, error) {
			return ModelAnswer(ModelAnswerData{Lang: "en_US", Title: "Exosome-mediated crosstalk upon irradiation", Question: "Which studies showed exosomes transfer RNA?", Abstract: abstract, Refs: refs,
				Body: []ContextPassage{{Section: "Exosome contents", Text: "Exosomes carry mRNAs and microRNAs between cells [26].", Cites: []int{26}}, {Section: "Figure 2", Text: "Exosome biogenesis."}}})
		}},
		{"answer_empty", func() (Prompt, error) {
			return ModelAnswer(ModelAnswerData{Lang: "en_US", Title: "T", Question: "Q?"})
		}},
		{"rewrite_en_US", func() (Prompt, error) {
			return Rewrite(RewriteData{Lang: "en_US", Title: "Exosome-mediated crosstalk upon irradiation", Question: "哪些研究表明外泌体可以转移RNA？"})
		}},
		{"rewrite_zh_CN", func() (Prompt, error) {
			return Rewrite(RewriteData{Lang: "zh_CN", Title: "放射后外泌体介导的细胞串扰", Question: "Which studies showed exosomes transfer RNA?"})
		}},
		{"condense", func() (Prompt, error) {
			return Condense(CondenseData{Title: "Exosome-mediated crosstalk upon irradiation", Turns: []Turn{
				{Question: "Which studies showed exosomes transfer RNA?", Answer: "Valadi et al. showed exosomes carry mRNAs and microRNAs between cells [26]."},
			}, Question: "Who were its other authors?"})
		}},
		{"summary_en_US", func() (Prompt, error) {
			return ModelSummary(SummaryData{Lang: "en_US", Title: "Exosome-mediated crosstalk upon irradiation", Authors: []string{"He C", "Li L"}, Journal: "Cancer Biol Med", Year: 2021, Abstract: abstract[0]})
		}},
		{"questions_zh_CN", func() (Prompt, error) {
			return ModelQuestions(QuestionsData{Lang: "zh_CN", Title: "Exosome-mediated crosstalk upon irradiation", Abstract: abstract[0], Max: 4})
		}},
		{"summary_zh_CN", func() (Prompt, error) {
			return ModelSummary(SummaryData{Lang: "zh_CN", Title: "Exosome-mediated crosstalk upon irradiation", Abstract: abstract[0]})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.render()
			if err != nil {
				t.Fatal(err)
			}
			checkPrompt(t, tt.name, p)
		})
	}
}

func TestQuestionsVersion(t *testing.T) {
	if !strings.HasPrefix(QuestionsVersion, "questions-") || len(QuestionsVersion) != len("questions-")+12 {
		t.Errorf("QuestionsVersion = %q", QuestionsVersion)
	}
}

func TestSummaryVersion(t *testing.T) {
	t.Parallel()
	if !strings.HasPrefix(SummaryVersion, "summary-") || len(SummaryVersion) != len("summary-")+12 {
		t.Errorf("SummaryVersion = %q", SummaryVersion)
	}
}

func TestExtractiveAnswerBody(t *testing.T) {
	refs := []CitedRef{{N: 26, Label: "Valadi et al. (2007), “Exosome-mediated transfer of mRNAs”"}}
	tests := []struct {
		lang string
		d    AnswerData
		want string
	}{
		{"en_US", AnswerData{Body: []BodyQuote{{Section: "Introduction", Text: "Exosomes carry RNA (Valadi et al., 2007).", Lang: "en", Cites: []int{26}}}, Refs: refs},
			"In §Introduction the paper says: “Exosomes carry RNA (Valadi et al., 2007).” [26] The works it cites there and in its reference list: Valadi et al. (2007), “Exosome-mediated transfer of mRNAs” [26]."},
		{"en_US", AnswerData{Body: []BodyQuote{{Section: "Figure 1", Caption: true, Text: "Dose maps [3].", Lang: "en"}}},
			"The caption of Figure 1 says: “Dose maps [3].”"},
		{"zh_CN", AnswerData{Body: []BodyQuote{{Section: "Introduction", Text: "Exosomes carry RNA [26].", Lang: "en"}}, Refs: refs},
			"本文在 §Introduction 中写道（英文原文）：“Exosomes carry RNA [26].” 文中引用的及参考文献中相关的有：Valadi et al. (2007), “Exosome-mediated transfer of mRNAs” [26]。"},
		{"en_US", AnswerData{FullText: true},
			"The paper, read in full, does not appear to cover this question, so I can't answer it from this paper."},
	}
	for _, tt := range tests {
		got, err := ExtractiveAnswer(tt.lang, tt.d)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("ExtractiveAnswer(%s) =\n%q\nwant\n%q", tt.lang, got, tt.want)
		}
	}
}
