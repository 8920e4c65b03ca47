//go:build unix

package main

import "syscall"

// raiseOpenFiles raises this process's soft limit on open files to its
// hard limit, as far as the system allows, since every connection holds
// one, and returns the limit in effect (0 if unknown).
func raiseOpenFiles() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Cur < l.Max {
		want := l
		want.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			return uint64(l.Cur), err
		}
		l = want
	}
	return uint64(l.Cur), nil
}
