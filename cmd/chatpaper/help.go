package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/chatpaper/chatpaper/config"
)

// command is one chatpaper subcommand: its positional arguments and what
// it does, as help prints them, and the function that runs it.
type command struct {
	name, args, summary string
	run                 func(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error
}

// commandDocs are the commands' help texts, by name; commands() pairs
// them with their functions. (A table holding both would be an
// initialisation cycle: the functions' flag sets read these texts.)
var commandDocs = []struct{ name, args, summary string }{
	{"serve", "", "serve the API, websocket and chat page (the default command)"},
	{"ingest", "FILE|FOLDER...", "store papers from files or folders (ChatPaper JSON, page text, JATS XML, Crossref JSON, PDF)"},
	{"enrich", "[PAPER-ID...]", "link stored papers' references to the works they cite (Crossref: DOIs, abstracts, retractions)"},
	{"ask", "QUESTION...", "answer one question about a stored paper"},
	{"list", "", "list the stored papers with their ids"},
	{"eval", "", "score a QA set, a BEIR retrieval set and bilingual pairs"},
	{"help", "[COMMAND]", "print the commands and their flags, or one command's"},
}

func commandDoc(name string) (args, summary string) {
	for _, d := range commandDocs {
		if d.name == name {
			return d.args, d.summary
		}
	}
	return "", ""
}

func commands() []command {
	fns := map[string]func(context.Context, config.Config, []string, io.Writer, io.Writer) error{
		"serve": runServe, "ingest": runIngest, "enrich": runEnrich, "ask": runAsk, "list": runList, "eval": runEval,
	}
	var out []command
	for _, d := range commandDocs {
		out = append(out, command{name: d.name, args: d.args, summary: d.summary, run: fns[d.name]})
	}
	return out
}

// newFlags returns a command's flag set. It reports errors instead of
// exiting, and its usage names the command's positional arguments.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("chatpaper "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		args, summary := commandDoc(name)
		line := "usage: chatpaper " + name + " [flags]"
		if args != "" {
			line += " " + args
		}
		fmt.Fprintf(fs.Output(), "%s\n  %s\n", line, summary)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(fs.Output(), "flags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// overview is the start of the help text: the commands, one a line.
func overview() string {
	var b strings.Builder
	b.WriteString("usage: chatpaper [COMMAND] [flags] [ARGS]\n\ncommands:\n")
	for _, d := range commandDocs {
		fmt.Fprintf(&b, "  %-7s %s\n", d.name, d.summary)
	}
	b.WriteString("\nrun \"chatpaper help COMMAND\" (or \"chatpaper COMMAND -h\") for one command's flags.\n")
	return b.String()
}

// wantsHelp reports whether args ask for help (-h, -help, --help).
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "-h" || a == "-help" || a == "--help" || a == "--h" {
			return true
		}
	}
	return false
}

// runHelp prints help to stdout: with no name, the commands and every
// command's flags; with a name, that command's. A command prints its
// own usage through its flag set, so the help cannot drift from the
// flags.
func runHelp(ctx context.Context, cfg config.Config, names []string, stdout io.Writer) error {
	cmds := commands()
	if len(names) == 0 {
		fmt.Fprint(stdout, overview())
		for _, c := range cmds {
			fmt.Fprintln(stdout)
			if err := commandHelp(ctx, cfg, c, stdout); err != nil {
				return err
			}
		}
		return nil
	}
	for _, c := range cmds {
		if c.name == names[0] {
			return commandHelp(ctx, cfg, c, stdout)
		}
	}
	return fmt.Errorf("unknown command %q: run \"chatpaper help\" for the list", names[0])
}

func commandHelp(ctx context.Context, cfg config.Config, c command, stdout io.Writer) error {
	if c.run == nil { // help itself
		fmt.Fprintf(stdout, "usage: chatpaper help %s\n  %s\n", c.args, c.summary)
		return nil
	}
	err := c.run(ctx, cfg, []string{"-h"}, stdout, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}
