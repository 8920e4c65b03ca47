package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// servingPrefix starts the line chatpaper serve and the echo floor print
// once they listen.
const servingPrefix = "chatpaper: serving on "

// target is a server the bench drives: a child process (so its memory
// and CPU are its own), or an external URL.
type target struct {
	base    string // http://host:port
	pid     int    // child process id; 0 when not a child
	started time.Duration
	stop    func() error
}

// startChild runs exe with args as a child process and waits for its
// "serving on" line. extraEnv is added to the inherited environment.
func startChild(ctx context.Context, exe string, args []string, extraEnv []string, stderr io.Writer) (*target, error) {
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %v: %w", args, err)
	}
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(out)
		line, _ := r.ReadString('\n')
		lines <- line
		io.Copy(io.Discard, r)
	}()
	var line string
	select {
	case line = <-lines:
	case <-ctx.Done():
		cmd.Process.Kill()
		cmd.Wait()
		return nil, ctx.Err()
	case <-time.After(10 * time.Minute):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("%v did not start within 10 minutes", args)
	}
	if !strings.HasPrefix(line, servingPrefix) {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("%v: unexpected first line %q", args, line)
	}
	return &target{
		base:    strings.TrimSpace(strings.TrimPrefix(line, servingPrefix)),
		pid:     cmd.Process.Pid,
		started: time.Since(t0),
		stop: func() error {
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				return err
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				return <-done
			}
		},
	}, nil
}

// procStats are a process's resident memory and CPU time so far.
type procStats struct {
	RSS int64         // bytes
	CPU time.Duration // user + system
}

// statsOf reads the stats of the child pid from /proc. A target that is
// not a child (pid 0: an external URL) has none.
func statsOf(pid int) (procStats, error) {
	if pid == 0 {
		return procStats{}, errors.New("not a child process: no stats")
	}
	rss, err := rssOf(strconv.Itoa(pid))
	if err != nil {
		return procStats{}, err
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStats{}, err
	}
	// Fields after the parenthesised command name; utime and stime are
	// fields 14 and 15 of the whole line, in clock ticks (100 per second
	// on Linux).
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return procStats{}, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	cpu := time.Duration(ut+st) * 10 * time.Millisecond
	if ns, ok := schedCPU(pid); ok {
		cpu = ns
	}
	return procStats{RSS: rss, CPU: cpu}, nil
}

// schedCPU sums the CPU time the scheduler accounts to each of pid's
// threads (/proc/PID/task/TID/schedstat, in nanoseconds): the same time
// as utime + stime, which count 10 ms ticks, a tenth of a short run's
// figure. A thread that ends is missing from the sum; Go's threads
// rarely end, and the servers measured lock none to a goroutine.
func schedCPU(pid int) (time.Duration, bool) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil || len(tasks) == 0 {
		return 0, false
	}
	var sum int64
	for _, t := range tasks {
		data, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
		if err != nil {
			continue // the thread ended meanwhile
		}
		f := strings.Fields(string(data))
		if len(f) == 0 {
			return 0, false
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, false
		}
		sum += ns
	}
	return time.Duration(sum), true
}

func rssOf(pid string) (int64, error) {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for %s", pid)
}

// raiseNoFile lifts the open-file limit to its hard maximum (children
// inherit it), returning the new soft limit.
func raiseNoFile() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return lim.Cur
}

// findChatpaper returns the chatpaper binary next to this one, or the
// one on PATH.
func findChatpaper() (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "chatpaper")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("chatpaper")
	if err != nil {
		return "", errors.New("no chatpaper binary next to chatpaper-bench or on PATH: build it (go build ./cmd/chatpaper) and pass -chatpaper")
	}
	return p, nil
}
