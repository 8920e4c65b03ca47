package paper

import (
	_ "embed"
	"fmt"
)

// DemoID is the id of the paper returned by Demo.
const DemoID = "exosome-irradiation"

// demoJSON is generated from the article page by paper/internal/gendemo and
// checked by hand; see that command for how to regenerate it.
//
//go:embed demo/exosome-irradiation.json
var demoJSON []byte

// Demo returns the bundled demo paper, "Exosome-mediated cellular crosstalk
// within the tumor microenvironment upon irradiation" (Cancer Biology &
// Medicine, 2021) with its 103 references. Each call returns a new copy
// that the caller may modify. Demo panics only if the embedded file is
// broken, which the package tests rule out.
func Demo() *Paper {
	p, err := ParseJSON(demoJSON)
	if err != nil {
		panic(fmt.Sprintf("paper: embedded demo paper is invalid: %v", err))
	}
	return p
}
