// Command chatpaper-bench load-tests ChatPaper on loopback: it builds
// nothing itself, but starts a built "chatpaper serve" as a child
// process (so the server's memory and CPU are its own) and drives
// concurrent websocket readers, idle sockets, REST ingests, generated
// catalogues and model-mode answers from a loopback upstream against it,
// each measured against a floor in the same run (docs/BENCHMARKS.md).
//
//	go build -o bin/ ./cmd/chatpaper ./cmd/chatpaper-bench
//	bin/chatpaper-bench -readers 200 -questions 10
//
// "chatpaper-bench echo-floor FILE" is the floor the readers and idle
// steps compare with: a bare gorilla websocket server replaying the
// frames in FILE; the bench starts it itself.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Stdout, os.Stderr); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "chatpaper-bench:", err)
		os.Exit(1)
	}
}

// run is the whole program: the echo-floor command, or the bench.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 1 && args[1] == "echo-floor" {
		if len(args) != 3 {
			return errors.New("usage: chatpaper-bench echo-floor FRAMES.json")
		}
		return runEchoFloor(ctx, args[2], stdout)
	}
	return runBench(ctx, args[1:], stdout, stderr)
}
