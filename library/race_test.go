//go:build race

package library_test

// raceEnabled: the race detector adds heap of its own to every allocation.
const raceEnabled = true
