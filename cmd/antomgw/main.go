// Command antomgw is the antomgw binary: an Antom-compatible payment gateway
// and the tools around it. Run "antomgw help" for the list of commands.
//
// This file is the only place that touches the process: main reads
// os.Args, the standard streams and the signals, calls run, and exits once
// with the code run returns. Everything else takes its inputs as arguments,
// so tests call run in-process with buffers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/antomgw/antomgw/internal/cryptobackend"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// commands is the table of every command: a new command is one entry here
// and one file holding its run function. The commands that work on the
// data directory (clients, keys, notifications, payments) may run while a
// server uses it: the server sees every change with its next request.
func commands() []*command {
	return []*command{
		{name: "serve", summary: "run the gateway server (Antom APIs on a simulated wallet)", run: runServe},
		{name: "clients", summary: "register clients and manage their public keys", sub: []*command{
			{name: "add", summary: "register a client with its first public key", run: runClientsAdd},
			{name: "list", summary: "list clients and their key versions", run: runClientsList},
			{name: "update", summary: "change a client's notify URL, encryption or gateway key pin", run: runClientsUpdate},
			{name: "add-key", summary: "add a public key version to a client (rotation)", run: runClientsAddKey},
			{name: "retire-key", summary: "stop accepting a client key version", run: runClientsRetireKey},
		}},
		{name: "notifications", summary: "list notifications and their attempts; resend one", sub: []*command{
			{name: "list", summary: "list notifications and their delivery state", run: runNotificationsList},
			{name: "attempts", summary: "list every attempt of one notification", run: runNotificationsAttempts},
			{name: "resend", summary: "deliver a notification again (also a given-up or delivered one)", run: runNotificationsResend},
		}},
		{name: "payments", summary: "list and show payments; decide a PROCESSING one by hand", sub: []*command{
			{name: "list", summary: "list payments, newest first, with filters", run: runPaymentsList},
			{name: "show", summary: "show one payment with its refunds, notifications and attempts", run: runPaymentsShow},
			{name: "resolve", summary: "decide a PROCESSING payment by hand: success, fail or close", run: runPaymentsResolve},
		}},
		{name: "scenarios", summary: "error scenario simulation: make a client's next calls answer a given result code, late, never or with a 5xx", sub: []*command{
			{name: "add", summary: "add a rule: what the next matching call (or N, or all) of a client does", run: runScenariosAdd},
			{name: "list", summary: "list the rules, what they match and do, and what they have left", run: runScenariosList},
			{name: "remove", summary: "remove a rule", run: runScenariosRemove},
		}},
		{name: "clock", summary: "show or move the test clock of a gateway started with serve --test-clock", sub: []*command{
			{name: "show", summary: "print the gateway's time and whether it is a test clock", run: runClockShow},
			{name: "advance", summary: "move the test clock forward; what falls due runs, in order", run: runClockAdvance},
		}},
		{name: "listen", summary: "receive and verify notifications as a merchant (development)", run: runListen},
		{name: "proxy", summary: "a local signing proxy: curl or Postman send plain JSON, the proxy signs and verifies", run: runProxy},
		{name: "keys", summary: "generate key pairs; export, rotate, activate, retire and seal the gateway key", sub: []*command{
			{name: "generate", summary: "generate an RSA-2048 key pair into two PEM files", run: runKeysGenerate},
			{name: "export", summary: "print a gateway public key (PEM SPKI); the active version by default", run: runKeysExport},
			{name: "rotate", summary: "create the next gateway key version, published (--activate: active at once)", run: runKeysRotate},
			{name: "activate", summary: "make a gateway key version the one that signs", run: runKeysActivate},
			{name: "list", summary: "list gateway key versions, their states and pinned clients", run: runKeysList},
			{name: "retire", summary: "retire a gateway key version no one signs with", run: runKeysRetire},
			{name: "seal", summary: "seal the gateway keys stored unsealed with the KEK (server stopped)", run: runKeysSeal},
		}},
		{name: "sign", summary: "sign a request body and print the Signature header value", run: runSign},
		{name: "verify", summary: "verify a Signature header value; explain a mismatch", run: runVerify},
		{name: "call", summary: "call the gateway's APIs with the Go SDK: sign, send, verify, print", sub: []*command{
			{name: "pay", summary: "create a payment (pay); --resolve polls a U answer to its end", run: runCallPay},
			{name: "inquiry", summary: "inquire a payment (inquiryPayment)", run: runCallInquiry},
			{name: "cancel", summary: "cancel a payment (cancel)", run: runCallCancel},
			{name: "refund", summary: "refund a payment (refund)", run: runCallRefund},
			{name: "inquiry-refund", summary: "inquire a refund (inquiryRefund)", run: runCallInquiryRefund},
			{name: "capture", summary: "capture all or part of an authorisation (capture)", run: runCallCapture},
			{name: "consult", summary: "ask which payment methods can pay an amount (consult)", run: runCallConsult},
			{name: "session", summary: "create a payment session for the checkout page (createPaymentSession)", run: runCallSession},
			{name: "retrieve-session", summary: "retrieve a payment session by paymentRequestId (retrievePaymentSession)", run: runCallRetrieveSession},
		}},
		{name: "backup", summary: "write a consistent copy of the SQLite store (mode 0600) while it runs", run: runBackup},
		{name: "bench", summary: "load a running gateway with signed requests; measure the crypto ceiling", run: runBench},
	}
}

// version describes the binary: the module version and, when the build
// recorded them, the VCS revision and time.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "antomgw (no build information), crypto: " + cryptobackend.Name()
	}
	v := "antomgw " + bi.Main.Version
	var rev, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" {
		v += fmt.Sprintf(" (revision %.12s%s, %s)", rev, dirty, at)
	}
	return v + " " + bi.GoVersion + ", crypto: " + cryptobackend.Name()
}

// Exit codes, decided only by exitCode.
const (
	exitOK      = 0 // success, or help was asked for
	exitFailure = 1 // the command failed (verify: the signature does not match)
	exitUsage   = 2 // bad usage: unknown command or flag, missing or invalid flag value
)

// run executes the command line args (without the program name) and returns
// the process exit code. It is main without the process: tests call it with
// buffers.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &command{name: "antomgw", sub: commands()}
	return exitCode(root.exec(ctx, e, "antomgw", args), stderr)
}

// exitCode is the one place that turns an error into an exit code and, for
// errors not yet reported, a message on stderr.
func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	var st exitStatus
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %s\nRun '%s --help' for usage.\n", ue.cmd, ue.msg, ue.cmd)
		return exitUsage
	case errors.As(err, &st):
		return int(st) // the command has already said everything
	default:
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
}

// commandError is a command's failure, printed once as "antomgw call pay:
// reason". The SDK's and the packages' own "antomgw: " prefix is dropped so
// that the name is not repeated.
type commandError struct {
	path string
	err  error
}

func (e *commandError) Error() string {
	msg := e.err.Error()
	for strings.HasPrefix(msg, "antomgw: ") {
		msg = strings.TrimPrefix(msg, "antomgw: ")
	}
	return e.path + ": " + strings.ReplaceAll(msg, ": antomgw: ", ": ")
}

func (e *commandError) Unwrap() error { return e.err }

// command is a command or a group of commands. A group has sub and no run;
// "GROUP", "GROUP help" and "GROUP --help" list its commands.
type command struct {
	name    string
	summary string
	// run runs the command; path is its full name ("antomgw sign"), args
	// are the arguments after it. It reports bad usage as *usageError and
	// wraps other errors with context but not with the command name, which
	// exec adds.
	run func(ctx context.Context, e *env, path string, args []string) error
	sub []*command
}

// exec runs c with args; path is c's full name.
func (c *command) exec(ctx context.Context, e *env, path string, args []string) error {
	if c.run != nil {
		err := c.run(ctx, e, path, args)
		var ue *usageError
		var st exitStatus
		if err == nil || errors.Is(err, flag.ErrHelp) || errors.As(err, &ue) || errors.As(err, &st) {
			return err
		}
		return &commandError{path, err}
	}
	if len(args) == 0 {
		c.printList(e.stdout, path)
		return nil
	}
	switch name := args[0]; name {
	case "help":
		if len(args) == 1 {
			c.printList(e.stdout, path)
			return nil
		}
		// "help X Y" is "X Y --help".
		return c.exec(ctx, e, path, append(append([]string(nil), args[1:]...), "--help"))
	case "-h", "-help", "--help":
		c.printList(e.stdout, path)
		return flag.ErrHelp
	case "--version", "-version", "version":
		if path != "antomgw" {
			return &usageError{cmd: path, msg: "--version is a flag of antomgw itself: antomgw --version"}
		}
		fmt.Fprintln(e.stdout, version())
		return nil
	default:
		for _, s := range c.sub {
			if s.name == name {
				return s.exec(ctx, e, path+" "+name, args[1:])
			}
		}
		if strings.HasPrefix(name, "-") {
			return &usageError{cmd: path, msg: fmt.Sprintf("unknown flag %s (flags go after the command name)", name)}
		}
		return &usageError{cmd: path, msg: fmt.Sprintf("unknown command %q", name)}
	}
}

// printList prints the commands of the group c.
func (c *command) printList(w io.Writer, path string) {
	fmt.Fprintf(w, "Usage: %s <command> [flags]\n\nCommands:\n", path)
	width := len("help")
	for _, s := range c.sub {
		width = max(width, len(s.name))
	}
	for _, s := range c.sub {
		fmt.Fprintf(w, "  %-*s  %s\n", width, s.name, s.summary)
	}
	fmt.Fprintf(w, "  %-*s  %s\n", width, "help", "show this list, or the help of a command")
	fmt.Fprintf(w, "\nRun '%s <command> --help' for the flags of a command.\n", path)
	if path == "antomgw" {
		fmt.Fprint(w, "Run 'antomgw --version' for the version.\n")
		fmt.Fprint(w, "Exit status: 0 success, 1 failure (for verify: signature does not match), 2 bad usage.\n"+
			"antomgw is Antom-compatible; it is not an Antom or Alipay product.\n")
	}
}
