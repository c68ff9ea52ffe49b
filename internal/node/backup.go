package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/antomgw/antomgw/internal/sqlite"
)

// BackupInfo says what Backup wrote.
type BackupInfo struct {
	Size int64 // bytes of the copy
	// Warnings are the file modes of the data directory that opening it
	// narrowed, as in StoreInfo.
	Warnings []string
}

// backupMode is the mode of a backup: it holds what the database holds,
// the gateway keys (sealed or not) among it.
const backupMode fs.FileMode = 0o600

// Backup writes a consistent copy of the SQLite store in cfg.DataDir, as of
// one moment, to the file out, with mode 0600; a server may be running on
// the directory meanwhile. The copy is a complete database: put it in an
// empty directory as antomgw.db and serve --data that directory. out must
// not exist (a backup never replaces a file); its directory is created,
// 0700, when missing. The copy holds the gateway keys as the store does:
// sealed ones stay sealed (the copy needs the same KEK), so Backup itself
// needs no KEK.
//
// The copy is made by SQLite's VACUUM INTO in a new directory only the
// owner can enter, next to out, into a file created 0600 beforehand, then
// synced and linked into place: at no moment can another user read it,
// whatever the umask, and out appears complete or not at all.
//
// For PostgreSQL (cfg.DatabaseURL set) it fails: use pg_dump.
func Backup(ctx context.Context, cfg StoreConfig, out string) (BackupInfo, error) {
	if cfg.DatabaseURL != "" {
		return BackupInfo{}, errors.New("backup copies the embedded SQLite store; back up a PostgreSQL database with its own tools (pg_dump, or base backups with WAL archiving)")
	}
	if out == "" {
		return BackupInfo{}, errors.New("no output file")
	}
	db := filepath.Join(cfg.DataDir, DBFile)
	if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
		return BackupInfo{}, fmt.Errorf("no gateway data in %s (no %s there)", cfg.DataDir, DBFile)
	} else if err != nil {
		return BackupInfo{}, err
	}
	if _, err := os.Lstat(out); err == nil {
		return BackupInfo{}, fmt.Errorf("%s already exists; a backup never replaces a file", out)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return BackupInfo{}, err
	}
	var info BackupInfo
	if w, err := narrowDir(cfg.DataDir); err != nil {
		return BackupInfo{}, err
	} else if w != "" {
		info.Warnings = append(info.Warnings, w)
	}
	parent := filepath.Dir(out)
	if err := os.MkdirAll(parent, dirMode); err != nil {
		return BackupInfo{}, err
	}
	tmpDir, err := os.MkdirTemp(parent, ".antomgw-backup-*") // 0700
	if err != nil {
		return BackupInfo{}, err
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, DBFile)
	if err := createEmpty(tmp); err != nil {
		return BackupInfo{}, err
	}

	st, err := sqlite.Open(ctx, db, sqlite.Options{})
	if err != nil {
		return BackupInfo{}, fmt.Errorf("open store in %s: %w", cfg.DataDir, err)
	}
	info.Warnings = append(info.Warnings, st.Warnings()...)
	err = st.VacuumInto(ctx, tmp)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return BackupInfo{}, err
	}
	if info.Size, err = syncFile(tmp); err != nil {
		return BackupInfo{}, err
	}
	if err := place(tmp, out); err != nil {
		return BackupInfo{}, err
	}
	syncDir(parent)
	return info, nil
}

// createEmpty creates the empty file name with mode exactly 0600.
func createEmpty(name string) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, backupMode)
	if err != nil {
		return err
	}
	// The umask can only have taken bits away; make the mode exact.
	if err := f.Chmod(backupMode); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncFile makes name's mode 0600 (SQLite may have replaced the file),
// flushes it to disk and returns its size.
func syncFile(name string) (int64, error) {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := f.Chmod(backupMode); err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), f.Close()
}

// place puts the finished file tmp at out without replacing anything: a
// hard link fails when out exists. Where the file system has no hard
// links, it renames after a last check.
func place(tmp, out string) error {
	err := os.Link(tmp, out)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%s already exists; a backup never replaces a file", out)
	}
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("%s already exists; a backup never replaces a file", out)
	}
	return os.Rename(tmp, out)
}

// syncDir flushes a directory's entries (the new file's name) to disk, where
// the system allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() //nolint:errcheck // best effort: not every system syncs directories
		d.Close()
	}
}
