// Package migrate reads the schema migrations of a store: SQL files named
// NNNN_name.sql, which the store embeds and applies in version order. It
// knows nothing of databases; each store applies the migrations in its own
// dialect (transaction, locking, recording in schema_migrations).
package migrate

import (
	"cmp"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one migration file.
type Migration struct {
	// Version is the NNNN of the file's name, above zero.
	Version int64
	// Name is the file's name, NNNN_name.sql.
	Name string
	// SQL is the file's text, one or more statements.
	SQL string
}

// Load reads every file of directory dir of fsys as a migration and returns
// them sorted by version. It fails when a name is not NNNN_name.sql (one or
// more decimal digits making a version above zero, an underscore, a name,
// the suffix .sql), when two files have the same version, or when dir holds
// no migration at all.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	out := make([]Migration, 0, len(entries))
	for _, e := range entries {
		name := e.Name()
		v, ok := version(name)
		if !ok {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.sql", name)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	slices.SortFunc(out, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s have the same version", out[i-1].Name, out[i].Name)
		}
	}
	return out, nil
}

// version returns the version of a file named NNNN_name.sql, and false
// for any other name.
func version(name string) (int64, bool) {
	digits, rest, ok := strings.Cut(name, "_")
	if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" ||
		!strings.HasSuffix(rest, ".sql") || rest == ".sql" {
		return 0, false
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	return v, err == nil && v > 0
}

// Pending returns the migrations of all (sorted by version, as Load returns
// them) that a database at version applied lacks, in order. It fails when
// applied is newer than the last of all: a newer program migrated the
// database.
func Pending(all []Migration, applied int64) ([]Migration, error) {
	if len(all) > 0 {
		if known := all[len(all)-1].Version; applied > known {
			return nil, fmt.Errorf("the database schema is at version %d, newer than this antomgw's %d; upgrade antomgw", applied, known)
		}
	}
	for i, m := range all {
		if m.Version > applied {
			return all[i:], nil
		}
	}
	return nil, nil
}
