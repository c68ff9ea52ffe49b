package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// env is what a command may touch of the outside world. Tests fill it with
// buffers.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// random is the source of randomness for key generation; crypto/rand
	// when nil.
	random io.Reader
	// getenv reads the environment; os.Getenv when nil.
	getenv func(string) string
}

// env returns the environment variable name.
func (e *env) env(name string) string {
	if e.getenv != nil {
		return e.getenv(name)
	}
	return os.Getenv(name)
}

// usageError is bad usage: an unknown command or flag, a missing required
// flag, a flag value that cannot be right. exitCode prints it with a hint to
// --help and exits with exitUsage.
type usageError struct {
	cmd string // full command name, "antomgw sign"
	msg string
}

func (e *usageError) Error() string { return e.cmd + ": " + e.msg }

// exitStatus is returned by a command that has already written everything
// it has to say (verify's diagnosis): exitCode prints nothing and exits with
// this code.
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// flagSet is a flag.FlagSet with the conventions of every antomgw command:
// flags are written --name (the flag package accepts -name too), -h and
// --help print the usage to stdout and succeed, errors name the flag and
// become *usageError, required flags are checked, positional arguments are
// refused.
type flagSet struct {
	*flag.FlagSet
	path     string            // "antomgw sign"
	synopsis string            // the lines after "Usage: "
	doc      string            // paragraphs after the synopsis
	required []string          // names of required flags
	order    []string          // flag names in the order they were defined
	args     map[string]string // flag name → argument name shown in help ("FILE")
	envs     map[string]string // flag name → environment variable it may come from
	getenv   func(string) string
	stdout   io.Writer
}

// fromEnv lets the flags named (every flag defined so far when none is
// named) come from the environment: --listen from $ANTOMGW_LISTEN,
// --data from $ANTOMGW_DATA. A flag given on the command line wins; --help
// lists the variable next to each flag.
func (f *flagSet) fromEnv(names ...string) {
	if len(names) == 0 {
		names = f.order
	}
	if f.envs == nil {
		f.envs = map[string]string{}
	}
	for _, name := range names {
		f.envs[name] = "ANTOMGW_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	}
}

// applyEnv sets each flag not given on the command line from its
// environment variable, when that is set.
func (f *flagSet) applyEnv() error {
	set := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	for _, name := range f.order {
		v, ok := f.envs[name]
		if !ok || set[name] {
			continue
		}
		if val := f.getenv(v); val != "" {
			if err := f.Set(name, val); err != nil {
				return f.usagef("$%s (for --%s): %v", v, name, err)
			}
		}
	}
	return nil
}

// str defines a string flag whose argument is shown as arg in the help.
func (f *flagSet) str(name, arg, value, usage string) *string {
	f.note(name, arg)
	return f.String(name, value, usage)
}

// integer defines an int flag whose argument is shown as arg in the help.
func (f *flagSet) integer(name, arg string, value int, usage string) *int {
	f.note(name, arg)
	return f.Int(name, value, usage)
}

// The Var forms bind a flag to p; arg is the argument's name in the help.
func (f *flagSet) strVar(p *string, name, arg, value, usage string) {
	f.note(name, arg)
	f.StringVar(p, name, value, usage)
}

func (f *flagSet) intVar(p *int, name, arg string, value int, usage string) {
	f.note(name, arg)
	f.IntVar(p, name, value, usage)
}

func (f *flagSet) int64Var(p *int64, name, arg string, value int64, usage string) {
	f.note(name, arg)
	f.Int64Var(p, name, value, usage)
}

func (f *flagSet) durVar(p *time.Duration, name, arg string, value time.Duration, usage string) {
	f.note(name, arg)
	f.DurationVar(p, name, value, usage)
}

func (f *flagSet) boolVar(p *bool, name string, value bool, usage string) {
	f.note(name, "")
	f.BoolVar(p, name, value, usage)
}

// boolean defines a bool flag, false by default.
func (f *flagSet) boolean(name, usage string) *bool {
	f.note(name, "")
	return f.Bool(name, false, usage)
}

func (f *flagSet) note(name, arg string) {
	if f.args == nil {
		f.args = map[string]string{}
	}
	f.order = append(f.order, name)
	f.args[name] = arg
}

// newFlagSet returns the flag set of the command path. synopsis and doc are
// printed by --help around the list of flags.
func newFlagSet(e *env, path, synopsis, doc string) *flagSet {
	fs := flag.NewFlagSet(path, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned and printed once, by exitCode
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, path: path, synopsis: synopsis, doc: doc, stdout: e.stdout, getenv: e.env}
}

// require marks flags as required.
func (f *flagSet) require(names ...string) { f.required = append(f.required, names...) }

// parse parses args. It returns flag.ErrHelp after printing the usage for
// -h/--help, a *usageError for anything wrong, nil otherwise.
func (f *flagSet) parse(args []string) error {
	if err := f.parseFlags(args); err != nil {
		return err
	}
	if f.NArg() > 0 {
		return f.usagef("unexpected argument %q (every input is given by a flag)", f.Arg(0))
	}
	return f.checkRequired()
}

// parseWithArg parses args for a command that takes one positional
// argument, named name in messages ("DURATION"), before or after the flags.
func (f *flagSet) parseWithArg(args []string, name string) (string, error) {
	var arg string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		arg, args = args[0], args[1:]
	}
	if err := f.parseFlags(args); err != nil {
		return "", err
	}
	rest := f.Args()
	if arg == "" && len(rest) > 0 {
		arg, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return "", f.usagef("unexpected argument %q (only %s is given without a flag)", rest[0], name)
	}
	if err := f.checkRequired(); err != nil {
		return "", err
	}
	if arg == "" {
		return "", f.usagef("missing %s", name)
	}
	return arg, nil
}

func (f *flagSet) parseFlags(args []string) error {
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			f.printUsage(f.stdout)
			return flag.ErrHelp
		}
		return f.usagef("%s", dashdash(err.Error()))
	}
	return f.applyEnv()
}

func (f *flagSet) checkRequired() error {
	set := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	for _, name := range f.required {
		if !set[name] {
			return f.usagef("missing required flag --%s", name)
		}
		if f.Lookup(name).Value.String() == "" {
			return f.usagef("flag --%s must not be empty", name)
		}
	}
	return nil
}

// usagef returns a *usageError for this command.
func (f *flagSet) usagef(format string, args ...any) error {
	return &usageError{cmd: f.path, msg: fmt.Sprintf(format, args...)}
}

// printUsage writes the help text: synopsis, doc, then every flag in the
// order defined as "--name ARG  usage (required|default)".
func (f *flagSet) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n", f.synopsis)
	if f.doc != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(f.doc, "\n"))
	}
	type row struct{ left, right string }
	var rows []row
	width := 0
	required := map[string]bool{}
	for _, n := range f.required {
		required[n] = true
	}
	for _, name := range f.order {
		fl := f.Lookup(name)
		usage := fl.Usage
		left := "--" + fl.Name
		if arg := f.args[name]; arg != "" {
			left += " " + arg
		}
		var notes []string
		switch {
		case required[fl.Name]:
			notes = append(notes, "required")
		case strings.Contains(usage, "default"):
			// the usage says its default in words
		case fl.DefValue != "" && fl.DefValue != "false":
			notes = append(notes, "default "+fl.DefValue)
		}
		if v, ok := f.envs[name]; ok {
			notes = append(notes, "or $"+v)
		}
		if len(notes) > 0 {
			usage += " (" + strings.Join(notes, "; ") + ")"
		}
		rows = append(rows, row{left, usage})
		width = max(width, len(left))
	}
	fmt.Fprintln(w, "\nFlags:")
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s  %s\n", width, r.left, r.right)
	}
	fmt.Fprintln(w, "  -h, --help"+strings.Repeat(" ", max(0, width-len("-h, --help")))+"  show this help")
}

// dashdash rewrites the flag package's "-name" in error messages as
// "--name", the spelling our help uses.
func dashdash(msg string) string {
	for _, p := range []string{"provided but not defined: -", "needs an argument: -", "for flag -"} {
		msg = strings.Replace(msg, p, p+"-", 1)
	}
	return msg
}

// readBody returns the bytes of file, or of stdin when file is "" or "-",
// exactly as they are: nothing is trimmed, no newline is added or removed.
func readBody(e *env, file string) ([]byte, error) {
	if file != "" && file != "-" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read body: %w", err)
		}
		return b, nil
	}
	if f, ok := e.stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintln(e.stderr, "reading the body from the terminal; end it with Ctrl-D (use --body-file to read a file)")
		}
	}
	b, err := io.ReadAll(e.stdin)
	if err != nil {
		return nil, fmt.Errorf("read body from stdin: %w", err)
	}
	return b, nil
}
