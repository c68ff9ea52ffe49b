package gatewaytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// binaryPackage is what Binary builds.
const binaryPackage = "github.com/antomgw/antomgw/cmd/antomgw"

var built struct {
	once sync.Once
	dir  string // the temporary directory holding the binary
	path string
	err  error
}

// Binary returns the path of the antomgw binary, built from ./cmd/antomgw
// on first use and shared by every test of the test process. It is built
// with the race detector when the test binary was (go test -race), so the
// server's races are found too; StartServe fails a test whose server
// reports one. Binary skips the test under -short (building takes
// seconds) and fails it when the build fails. The binary lives in a
// temporary directory: call Main from the package's TestMain to remove it
// when the tests end. Binary must be called from the test's goroutine.
func Binary(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("builds and runs the antomgw binary; skipped under -short")
	}
	built.once.Do(func() {
		built.path, built.err = build()
	})
	if built.err != nil {
		tb.Fatal(built.err)
	}
	return built.path
}

func build() (string, error) {
	// go test puts its own GOROOT/bin first on the PATH of the tests, so
	// this is the go command that built the test.
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("gatewaytest: the go command is not on PATH: %v", err)
	}
	dir, err := os.MkdirTemp("", "antomgw-gatewaytest-bin-")
	if err != nil {
		return "", err
	}
	built.dir = dir
	bin := filepath.Join(dir, "antomgw")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	start := time.Now()
	out, err := exec.Command(goTool, append(args, binaryPackage)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("gatewaytest: go %s: %v\n%s", strings.Join(append(args, binaryPackage), " "), err, out)
	}
	fmt.Fprintf(os.Stderr, "gatewaytest: built %s (race detector %v) in %v\n", bin, raceEnabled, time.Since(start).Round(time.Millisecond))
	return bin, nil
}

// Main runs the package's tests and then removes the binary Binary built,
// if any, and returns the exit code for os.Exit. Use it as
//
//	func TestMain(m *testing.M) { os.Exit(gatewaytest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	return code
}

// CLI is one run of an antomgw command. Set Args; the other fields have
// defaults.
type CLI struct {
	// Binary is the antomgw binary. Defaults to Binary(tb).
	Binary string
	// Args are the command line after the binary's name.
	Args []string
	// Stdin is the command's standard input. Defaults to none.
	Stdin io.Reader
	// Env is the command's environment. Defaults to the test's.
	Env []string
	// Dir is the working directory. Defaults to the test's.
	Dir string
	// Timeout bounds the command; it is killed when it runs out. Defaults
	// to 60s.
	Timeout time.Duration
}

// CLIResult is what a command did.
type CLIResult struct {
	Stdout, Stderr string
	// ExitCode is the exit status (-1 when a signal ended it).
	ExitCode int
}

// Run runs the command and returns what it did, whatever its exit code.
// It fails the test when the command cannot be started or runs past its
// Timeout.
func (c CLI) Run(tb testing.TB) CLIResult {
	tb.Helper()
	bin := c.Binary
	if bin == "" {
		bin = Binary(tb)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, c.Args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, &stdout, &stderr
	cmd.Env, cmd.Dir = c.Env, c.Dir
	err := cmd.Run()
	r := CLIResult{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		tb.Fatalf("antomgw %s: still running after %v\nstdout: %s\nstderr: %s", strings.Join(c.Args, " "), timeout, r.Stdout, r.Stderr)
	case errors.As(err, &exit):
		r.ExitCode = exit.ExitCode()
	case err != nil:
		tb.Fatalf("antomgw %s: %v", strings.Join(c.Args, " "), err)
	}
	return r
}

// RunCLI runs the antomgw binary (Binary) with args and returns what it
// did, whatever its exit code.
func RunCLI(tb testing.TB, args ...string) CLIResult {
	tb.Helper()
	return CLI{Args: args}.Run(tb)
}

// MustRunCLI runs the antomgw binary with args and returns its stdout; it
// fails the test unless the command exits 0.
func MustRunCLI(tb testing.TB, args ...string) string {
	tb.Helper()
	r := CLI{Args: args}.Run(tb)
	if r.ExitCode != 0 {
		tb.Fatalf("antomgw %s: exit %d, want 0\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.ExitCode, r.Stdout, r.Stderr)
	}
	return r.Stdout
}
