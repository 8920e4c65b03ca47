package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/chatpaper/chatpaper/config"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
)

// runList prints the stored papers, one a line: id, year, references,
// title; with --json, the list as JSON.
func runList(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("list", stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data folder (env CHATPAPER_DATA)")
	asJSON := fs.Bool("json", false, "print the list as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("list takes no arguments, got %q", fs.Args())
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	papers, err := st.Papers(ctx)
	if err != nil {
		return fmt.Errorf("list papers: %w", err)
	}
	if *asJSON {
		if papers == nil {
			papers = []store.PaperInfo{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"papers": papers})
	}
	if len(papers) == 0 {
		fmt.Fprintf(stdout, "no papers are stored in %s: \"chatpaper ingest FILE\" stores one (\"chatpaper serve\" adds the demo paper)\n", storeName(cfg))
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tYEAR\tREFS\tTITLE")
	for _, p := range papers {
		year := ""
		if p.Year > 0 {
			year = strconv.Itoa(p.Year)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", p.ID, year, p.References, p.Title)
	}
	return tw.Flush()
}

// storeName says where the papers are, for messages.
func storeName(cfg config.Config) string {
	if cfg.DatabaseURL != "" {
		return "the PostgreSQL database (CHATPAPER_DATABASE_URL)"
	}
	return cfg.DataDir
}

// checkPaper returns a reader's error for a paper id the store does not
// hold, naming the command that lists the ones it does.
func checkPaper(ctx context.Context, ps interface {
	Paper(ctx context.Context, id string) (*paper.Paper, error)
}, cfg config.Config, id string) error {
	if !paper.ValidID(id) {
		return fmt.Errorf("%q is not a paper id (1-128 letters, digits, '.', '_' or '-'): run \"chatpaper list\" to see the stored papers", id)
	}
	if _, err := ps.Paper(ctx, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no paper with id %q is stored in %s: run \"chatpaper list\" to see the stored papers", id, storeName(cfg))
		}
		return err
	}
	return nil
}
