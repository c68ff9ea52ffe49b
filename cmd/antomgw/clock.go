package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/antomgw/antomgw/internal/console"
)

var clockDoc = helpText("clock")

// clockFlags are the flags of the clock commands: where the gateway is and
// the console's token.
func clockFlags(f *flagSet) (c *console.Client, asJSON *bool) {
	c = &console.Client{}
	f.strVar(&c.BaseURL, "base-url", "URL", "http://127.0.0.1:8080", "where the gateway is")
	f.strVar(&c.Token, "console-token", "TOKEN", "", "the console's token, when the gateway asks for one")
	f.fromEnv("console-token")
	return c, f.boolean("json", "print the answer as JSON")
}

func runClockShow(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, path+" [--base-url URL]", clockDoc)
	c, asJSON := clockFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	now, test, raw, err := c.Clock(ctx)
	switch {
	case err != nil:
		return err
	case *asJSON:
		return printJSONLine(e, raw)
	case test:
		fmt.Fprintf(e.stdout, "%s  on a test clock (it moves only with antomgw clock advance)\n", now.Format(time.RFC3339Nano))
	default:
		fmt.Fprintf(e.stdout, "%s  on the real clock\n", now.Format(time.RFC3339Nano))
	}
	return nil
}

func runClockAdvance(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, path+" DURATION [--base-url URL]", clockDoc)
	c, asJSON := clockFlags(f)
	arg, err := f.parseWithArg(args, "DURATION (how far to move the clock: 90s, 15m, 2h, 24h)")
	if err != nil {
		return err
	}
	d, err := time.ParseDuration(arg)
	if err != nil || d <= 0 {
		return f.usagef("DURATION %q: want a positive duration such as 90s, 15m or 24h", arg)
	}
	a, raw, err := c.Advance(ctx, d)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSONLine(e, raw)
	}
	fmt.Fprintf(e.stdout, "clock moved %s: %s → %s\n%d delayed transition(s) and %d notification attempt(s) carried out\n",
		d, a.From.Format(time.RFC3339Nano), a.To.Format(time.RFC3339Nano), a.Jobs, a.Attempts)
	return nil
}

// printJSONLine prints a JSON answer as one line.
func printJSONLine(e *env, raw []byte) error {
	_, err := fmt.Fprintf(e.stdout, "%s\n", bytes.TrimSpace(raw))
	return err
}
