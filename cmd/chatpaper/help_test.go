package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		out, errOut, err := runCmd(t, args...)
		if err != nil || errOut != "" {
			t.Fatalf("%v: err %v, stderr %q", args, err, errOut)
		}
		// Every command, and every command's flags with its positional
		// arguments.
		for _, want := range []string{"commands:", "  serve ", "  ingest ", "  ask ", "  list ", "  eval ",
			"usage: chatpaper ingest [flags] FILE|FOLDER...", "usage: chatpaper ask [flags] QUESTION...",
			"-paper string", "-lang string", "-addr string", "-qa string", "-json", "-progress string"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: output lacks %q:\n%s", args, want, out)
			}
		}
	}
	for _, args := range [][]string{{"help", "ask"}, {"ask", "-h"}, {"ask", "--help"}} {
		out, errOut, err := runCmd(t, args...)
		if err != nil || errOut != "" || !strings.HasPrefix(out, "usage: chatpaper ask [flags] QUESTION...") ||
			!strings.Contains(out, "-paper string") || strings.Contains(out, "-addr") {
			t.Errorf("%v: err %v, stderr %q, stdout:\n%s", args, err, errOut, out)
		}
	}
	if _, _, err := runCmd(t, "help", "nope"); err == nil || !strings.Contains(err.Error(), `"chatpaper help"`) {
		t.Errorf("help nope: %v", err)
	}
	if _, errOut, err := runCmd(t, "nope"); err == nil || !strings.Contains(err.Error(), `unknown command "nope"`) || !strings.Contains(errOut, "commands:") {
		t.Errorf("unknown command: %v, stderr %q", err, errOut)
	}
}

func TestListAndUnknownPaper(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	out, _, err := runCmd(t, "list", "--data", data)
	if err != nil || !strings.Contains(out, "no papers are stored") {
		t.Errorf("list on an empty store: %v %q", err, out)
	}
	file := filepath.Join(dir, "p.json")
	if err := os.WriteFile(file, []byte(testPaper), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, "ingest", "-q", "--data", data, file); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCmd(t, "list", "--data", data)
	if err != nil || !strings.HasPrefix(out, "ID") || !strings.Contains(out, "test-paper") || !strings.Contains(out, "Glacier melt and sea level rise") {
		t.Errorf("list: %v\n%s", err, out)
	}
	out, _, err = runCmd(t, "list", "--json", "--data", data)
	var got struct {
		Papers []struct{ ID string }
	}
	if err != nil || json.Unmarshal([]byte(out), &got) != nil || len(got.Papers) != 1 || got.Papers[0].ID != "test-paper" {
		t.Errorf("list --json: %v\n%s", err, out)
	}
	for _, id := range []string{"nope", "../x"} {
		_, _, err := runCmd(t, "ask", "--data", data, "--paper", id, "What melts?")
		if err == nil || !strings.Contains(err.Error(), `"chatpaper list"`) || strings.Contains(err.Error(), "sqlite") {
			t.Errorf("ask --paper %s: %v, want an error naming chatpaper list", id, err)
		}
	}
}
