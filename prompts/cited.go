package prompts

// CitedQuote is a sentence of a cited work's own abstract that an
// extractive answer quotes, marked as coming from that work.
type CitedQuote struct {
	N     int
	Quote string
}

// CitedWorkQuotes renders the sentences that say what cited works report
// in their own abstracts, for lang; "" for none.
func CitedWorkQuotes(lang string, qs []CitedQuote) (string, error) {
	if len(qs) == 0 {
		return "", nil
	}
	return render("cited_"+lang, qs)
}

// Flagged is a cited reference whose work was retracted or withdrawn.
type Flagged struct {
	N      int
	Status string // paper.StatusRetracted or paper.StatusWithdrawn
	Date   string
}

// RetractionNotice renders the one-line notice shown under an answer
// that cites retracted or withdrawn works, for lang; "" for none.
func RetractionNotice(lang string, fs []Flagged) (string, error) {
	if len(fs) == 0 {
		return "", nil
	}
	return render("notice_"+lang, fs)
}
