//go:build linux

// Package fulldisk gives tests a real filesystem that fills up: a small
// tmpfs, so that SQLite meets a real ENOSPC ("database or disk is full")
// rather than a stand-in. The tmpfs is mounted in a mount namespace of
// the test's own, in a child process running that one test, so nothing
// outside the test sees it and it vanishes with the child, even on a
// crash. As root the namespace is a plain mount namespace; otherwise a
// user namespace is made too, where the kernel allows unprivileged ones.
//
// A test that cannot have such a namespace fails with the reason; it
// never skips.
package fulldisk

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// envInside marks the child process, which runs inside the namespace.
const envInside = "USHER_FULLDISK_INSIDE"

// Dir returns a directory on a fresh tmpfs of size bytes, for the test t,
// which must be a top-level test (its name selects it in the child).
//
// The test runs twice: called first in the ordinary test process, Dir
// runs the same test again in a child process inside a new mount
// namespace, waits for it, fails t if the child failed (with the child's
// output), logs the output otherwise, and returns "", ok false: the
// caller returns at once. Called in the child, Dir mounts the tmpfs and
// returns its directory and ok true: the caller goes on with the test.
// Files on it must be closed by earlier t.Cleanup functions than Dir's
// (that is, registered after Dir returns), so the tmpfs can be unmounted.
func Dir(t *testing.T, size int64) (dir string, ok bool) {
	t.Helper()
	if strings.Contains(t.Name(), "/") {
		t.Fatalf("fulldisk.Dir in subtest %s: call it from a top-level test", t.Name())
	}
	if os.Getenv(envInside) == "" {
		runChild(t)
		return "", false
	}
	dir = t.TempDir()
	// Keep what is mounted here from propagating back to the parent's
	// namespace, whatever the host's propagation default is.
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		t.Fatalf("make the mount namespace private: %v", err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		t.Fatalf("mount a %d-byte tmpfs on %s: %v", size, dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir, true
}

// runChild runs t alone in a child process in a mount namespace of its
// own, and reports its outcome on t.
func runChild(t *testing.T) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), envInside+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS}
	if uid, gid := os.Getuid(), os.Getgid(); uid != 0 {
		cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}}
	}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err != nil && !errors.As(err, &exit):
		t.Fatalf("run %s in a mount namespace of its own (needs root, or unprivileged user namespaces): %v", t.Name(), err)
	case err != nil:
		t.Fatalf("%s on a real full disk (a tmpfs in a mount namespace of its own): %v\n%s", t.Name(), err, out)
	case !strings.Contains(string(out), "--- PASS: "+t.Name()):
		t.Fatalf("%s did not run in the child process:\n%s", t.Name(), out)
	}
	t.Logf("%s, run on a real full disk (a tmpfs in a mount namespace of its own):\n%s", t.Name(), out)
}

// Fill fills the filesystem that holds dir with a file of zeros until it
// has no space left, and returns a function that removes that file,
// freeing the space again.
func Fill(t testing.TB, dir string) (free func()) {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("fill %s: %v", dir, err)
	}
	defer f.Close()
	// Big writes first, then page-sized ones for the last partial space.
	for _, n := range []int{1 << 20, 64 << 10, 4 << 10, 512} {
		buf := make([]byte, n)
		for {
			if _, err := f.Write(buf); errors.Is(err, syscall.ENOSPC) {
				break
			} else if err != nil {
				t.Fatalf("fill %s: %v", dir, err)
			}
		}
	}
	return func() {
		t.Helper()
		if err := os.Remove(path); err != nil {
			t.Fatalf("free %s: %v", dir, err)
		}
	}
}
