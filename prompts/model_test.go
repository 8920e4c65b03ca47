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
