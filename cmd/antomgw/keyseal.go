package main

import (
	"context"
	"fmt"
)

var keysSealDoc = helpText("keys-seal")

func runKeysSeal(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, path+" (--kek-file FILE | $ANTOMGW_KEK) [--data DIR | --database-url URL]", keysSealDoc)
	sf := addStoreFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	if *sf.kekFile == "" && e.env("ANTOMGW_KEK") == "" {
		return f.usagef("give the key-encryption key to seal with: --kek-file FILE or ANTOMGW_KEK (make one with: openssl rand -base64 32)")
	}
	st, info, err := sf.open(ctx, e, "")
	if err != nil {
		return err
	}
	defer st.Close()
	for _, w := range info.Warnings {
		fmt.Fprintln(e.stderr, "warning:", w)
	}
	sealed, already, err := st.SealGatewayKeys(ctx)
	if sealed > 0 || err == nil {
		fmt.Fprintf(e.stdout, "sealed %d gateway key version(s) in %s; %d were sealed already.\n", sealed, info.Where, already)
	}
	if err != nil {
		return err
	}
	if sealed > 0 {
		fmt.Fprintln(e.stdout, "Start the server with the same --kek-file (or ANTOMGW_KEK). Backups made before still hold the plain keys: make a new one (antomgw backup) and destroy them.")
	}
	return nil
}
