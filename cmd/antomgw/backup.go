package main

import (
	"context"
	"fmt"

	"github.com/antomgw/antomgw/internal/node"
)

var backupDoc = helpText("backup")

func runBackup(ctx context.Context, e *env, path string, args []string) error {
	f := newFlagSet(e, path, path+" --out FILE [--data DIR]", backupDoc)
	out := f.str("out", "FILE", "", "write the copy here (mode 0600); it must not exist")
	data := f.str("data", "DIR", defaultDataDir, "data directory of the embedded SQLite store")
	databaseURL := f.str("database-url", "URL", "", "a PostgreSQL store: refused, back it up with pg_dump")
	f.fromEnv("data", "database-url")
	f.require("out")
	if err := f.parse(args); err != nil {
		return err
	}
	if *out == "-" {
		return f.usagef("--out must name a file; the copy holds the gateway keys and is never written to stdout")
	}
	if *databaseURL != "" {
		return f.usagef("backup copies the embedded SQLite store; back up PostgreSQL with pg_dump (or base backups with WAL archiving)")
	}
	info, err := node.Backup(ctx, node.StoreConfig{DataDir: *data}, *out)
	if err != nil {
		return err
	}
	for _, w := range info.Warnings {
		fmt.Fprintln(e.stderr, "warning:", w)
	}
	fmt.Fprintf(e.stdout, "backup: %s (%d bytes, mode 0600)\n", *out, info.Size)
	fmt.Fprintf(e.stdout, "restore: put it as %s in an empty directory DIR and run: antomgw serve --data DIR\n", dbFile)
	return nil
}
