package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
)

// fileMode is the mode of the database and its -wal and -shm files: they
// hold the payments and, unless sealed, the gateway's signing keys.
const fileMode fs.FileMode = 0o600

// narrowModes takes from the database file at path and its -wal and -shm
// files (those that exist) every permission bit beyond 0600, before SQLite
// opens them: SQLite gives the -wal and -shm files it creates the
// database's mode, so a database left 0644 would get a 0644 -wal. It
// returns a warning for each file it narrowed or could not narrow (another
// owner), for the operator's log; only a failure to look at a file is an
// error.
func narrowModes(path string) ([]string, error) {
	if runtime.GOOS == "windows" {
		return nil, nil // no Unix permission bits to narrow
	}
	var warnings []string
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return warnings, err
		}
		perm := fi.Mode().Perm()
		if perm&^fileMode == 0 {
			continue
		}
		if err := os.Chmod(name, perm&fileMode); err != nil {
			warnings = append(warnings, fmt.Sprintf("%s has mode %04o (others may read it) and could not be narrowed to %04o: %v", name, perm, perm&fileMode, errors.Unwrap(err)))
			continue
		}
		warnings = append(warnings, fmt.Sprintf("%s had mode %04o (others could read it); narrowed to %04o", name, perm, perm&fileMode))
	}
	return warnings, nil
}
